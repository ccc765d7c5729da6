// lazyCapacity: an lru-cache bounded by entry count that allocates only for the entries it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../services/common/lazy-capacity.js';

test('the cache holds at most the given number of entries, dropping the least recently used', () => {
  const cache = new LRUCache<string, number>({ ...lazyCapacity(3), ttl: 60_000 });
  for (const [index, key] of ['a', 'b', 'c'].entries()) cache.set(key, index);
  cache.get('a');
  cache.set('d', 3);
  assert.equal(cache.size, 3);
  assert.deepEqual([...cache.keys()].sort(), ['a', 'c', 'd']);
});

test('a cache of a million entries allocates nothing up front; lru-cache given `max` allocates all of them', () => {
  const heapGrowth = (make: () => unknown): number => {
    const before = getHeapStatistics().used_heap_size;
    const made = make();
    const grown = getHeapStatistics().used_heap_size - before;
    assert.ok(made);
    return grown;
  };
  // biome-ignore lint/plugin/lru-cache-lazy-capacity: the preallocation the rule refuses is what this test measures
  const preallocated = heapGrowth(() => new LRUCache<string, string>({ max: 1_000_000 }));
  const lazy = heapGrowth(() => new LRUCache<string, string>(lazyCapacity(1_000_000)));
  // Two arrays of a million 8-byte slots: what the lazy bound saves per cache.
  assert.ok(preallocated > 15_000_000, `max: 1,000,000 grew the heap by ${preallocated} bytes`);
  assert.ok(lazy < 100_000, `lazyCapacity(1,000,000) grew the heap by ${lazy} bytes`);
});
