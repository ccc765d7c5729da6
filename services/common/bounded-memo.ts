// A per-connection memo: the answer for a key is computed once and kept while the map holds fewer
// than `max` entries; past that the oldest entry goes (a Map iterates in insertion order), so a
// client cycling through many topics only ever pushes out its own oldest answers. Process-wide
// caches with expiry use lru-cache instead (lazy-capacity.ts), whose four arrays and map per cache
// are too much for a map that every connection holds.
export function remember<K, V>(memo: Map<K, V>, max: number, key: K, decide: (key: K) => V): V {
  const known = memo.get(key);
  // One lookup on the per-message path; `has` only for an answer that is itself undefined.
  if (known !== undefined || memo.has(key)) return known as V;
  const value = decide(key);
  if (memo.size >= max) memo.delete(memo.keys().next().value as K);
  memo.set(key, value);
  return value;
}
