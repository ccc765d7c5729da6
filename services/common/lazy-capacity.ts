// Given `max`, lru-cache allocates its whole capacity when the cache is made: two arrays of `max`
// slots and three typed arrays (links and free slots). A process makes about sixteen caches bounded
// at 100,000 entries (devices, verified passwords, session tallies, authentication failures), so it
// started with 25 MB of empty slots however few entries the caches held. Bounding by `maxSize`,
// every entry of size 1, keeps the same bound while the arrays grow with the entries actually held.
export function lazyCapacity(entries: number): { maxSize: number; sizeCalculation: () => number } {
  return { maxSize: entries, sizeCalculation: () => 1 };
}
