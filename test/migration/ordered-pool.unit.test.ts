import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachInOrder } from '../../services/migration/ordered-pool.js';

/** Runs items 0..count-1, each taking `ms(item)`, and records what was in flight when each started. */
async function trace(count: number, inFlight: number, clashes: (a: number, b: number) => boolean, ms: (item: number) => number) {
  const running = new Set<number>();
  const started: number[] = [];
  const finished: number[] = [];
  const overlaps: Array<[number, number]> = [];
  let most = 0;
  await forEachInOrder(
    Array.from({ length: count }, (_, i) => i),
    { inFlight, clashes },
    async (item, index) => {
      assert.equal(index, item);
      for (const other of running) overlaps.push([other, item]);
      running.add(item);
      started.push(item);
      most = Math.max(most, running.size);
      await sleep(ms(item));
      running.delete(item);
      finished.push(item);
    },
  );
  return { started, finished, overlaps, most };
}

test('every item runs once, in order of start, never more than the limit at once', async () => {
  const { started, finished, most } = await trace(
    40,
    8,
    () => false,
    (item) => (item * 7) % 5,
  );
  assert.deepEqual(
    started,
    Array.from({ length: 40 }, (_, i) => i),
  );
  assert.deepEqual(
    [...finished].sort((a, b) => a - b),
    started,
  );
  assert.equal(most, 8);
});

test('an item waits for every earlier item it clashes with, and only for those', async () => {
  // Items clash when they are equal modulo 5: 0 and 5, 1 and 6, …
  const clashes = (a: number, b: number) => a % 5 === b % 5;
  const { overlaps, most, finished } = await trace(30, 8, clashes, (item) => 1 + (item % 3));
  assert.deepEqual(
    overlaps.filter(([a, b]) => clashes(a, b)),
    [],
    'no two clashing items ran at once',
  );
  assert.equal(most, 5, 'the five that do not clash ran together');
  for (let item = 5; item < 30; item++)
    assert.ok(finished.indexOf(item - 5) < finished.indexOf(item), `${item} finished after the earlier ${item - 5}`);
});

test('the first error is thrown after the started items settle, and nothing starts after it', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  await assert.rejects(
    forEachInOrder([0, 1, 2, 3, 4, 5, 6, 7], { inFlight: 3, clashes: () => false }, async (item) => {
      started.push(item);
      await sleep(item === 1 ? 1 : 20);
      settled.push(item);
      if (item === 1) throw new Error('item 1 failed');
    }),
    /item 1 failed/,
  );
  assert.deepEqual(started, [0, 1, 2], 'the slot item 1 left was not filled');
  assert.deepEqual([...settled].sort(), [0, 1, 2], 'every started item settled before the error was thrown');
});
