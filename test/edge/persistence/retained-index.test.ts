// The embedded store's index of permanent topics (persistence/retained-index.ts): a SUBSCRIBE gets
// the same stored values aedes-persistence-level would send, reads nothing from LevelDB when no
// value matches, values stored before a restart or removed since are found or not as stored, and a
// filter reads no more values than can be sent for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { withRetainedIndex } from '../../../services/edge/persistence/retained-index.js';
import { UNLIMITED, assertEachFilterFilled, permanentValue, sent, type RetainedStore } from './permanent-values.js';

async function openDb(dir: string) {
  const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  return db;
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-retained-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const FILTERS = ['$devices/d1/state', '$devices/d1/#', '$devices/+/state', '$registries/r1/#', '#', '+/+/+', '$devices/d9/state'];

test('a SUBSCRIBE gets the values aedes-persistence-level would send, before and after removals', async (t) => {
  const db = await openDb(await tempDir(t));
  t.after(() => db.close());
  const library = new AsyncLevelPersistence(db) as unknown as RetainedStore;
  const indexed = (await withRetainedIndex(new AsyncLevelPersistence(db), db, UNLIMITED)).persistence as unknown as RetainedStore;
  const topics = ['$devices/d1/state', '$devices/d1/state/x', '$devices/d2/state', '$registries/r1/state', '$devices/d1', 'plain'];
  for (const [i, topic] of topics.entries()) await indexed.storeRetained(permanentValue(topic, `v${i}`, i % 2));
  for (const filter of FILTERS) {
    // The library reads each filter apart; a topic two filters match is sent once by either.
    assert.deepEqual(await sent(indexed, [filter]), await sent(library, [filter]), filter);
  }
  assert.deepEqual(await sent(indexed, ['$devices/d1/#', '$devices/+/state']), [
    '$devices/d1/state/x=v1@1',
    '$devices/d1/state=v0@0',
    '$devices/d1=v4@0',
    '$devices/d2/state=v2@0',
  ]);
  await indexed.storeRetained(permanentValue('$devices/d1/state', ''));
  await indexed.storeRetained(permanentValue('$devices/d2/state', 'newer'));
  for (const filter of FILTERS) assert.deepEqual(await sent(indexed, [filter]), await sent(library, [filter]), `after removal: ${filter}`);
  assert.deepEqual(await sent(indexed, ['$devices/+/state']), ['$devices/d2/state=newer@1']);
});

test('a SUBSCRIBE no stored value matches reads nothing from LevelDB', async (t) => {
  const db = await openDb(await tempDir(t));
  t.after(() => db.close());
  const indexed = (await withRetainedIndex(new AsyncLevelPersistence(db), db, UNLIMITED)).persistence as unknown as RetainedStore;
  await indexed.storeRetained(permanentValue('$devices/d1/state', 'on'));
  let reads = 0;
  for (const name of ['get', 'getMany', 'iterator', 'values', 'keys'] as const) {
    const original = (db[name] as (...args: unknown[]) => unknown).bind(db);
    (db as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      reads++;
      return original(...args);
    };
  }
  assert.deepEqual(await sent(indexed, ['$devices/d2/commands', '$devices/d2/commands/#', '$registries/+/state']), []);
  assert.equal(reads, 0);
  assert.deepEqual(await sent(indexed, ['$devices/d1/#']), ['$devices/d1/state=on@1']);
  assert.equal(reads, 1, 'the matching value is read in one getMany');
});

test('values stored before a restart are found after it, and removed ones are not', async (t) => {
  const dir = await tempDir(t);
  const first = await openDb(dir);
  const before = await withRetainedIndex(new AsyncLevelPersistence(first), first, UNLIMITED);
  const store = before.persistence as unknown as RetainedStore;
  await store.storeRetained(permanentValue('$devices/d1/state', 'kept'));
  await store.storeRetained(permanentValue('$devices/d2/state', 'removed'));
  await store.storeRetained(permanentValue('$devices/d2/state', ''));
  assert.equal(before.permanentTopics(), 1);
  await first.close();

  const second = await openDb(dir);
  t.after(() => second.close());
  const after = await withRetainedIndex(new AsyncLevelPersistence(second), second, UNLIMITED);
  assert.equal(after.permanentTopics(), 1);
  assert.deepEqual(await sent(after.persistence as unknown as RetainedStore, ['$devices/+/state']), ['$devices/d1/state=kept@1']);
});

test('a removal that fails leaves the stored value to be sent', async (t) => {
  const db = await openDb(await tempDir(t));
  t.after(() => db.close());
  const indexed = (await withRetainedIndex(new AsyncLevelPersistence(db), db, UNLIMITED)).persistence as unknown as RetainedStore;
  await indexed.storeRetained(permanentValue('$devices/d1/state', 'on'));
  const remove = db.del.bind(db);
  db.del = () => Promise.reject(new Error('disk full'));
  await assert.rejects(indexed.storeRetained(permanentValue('$devices/d1/state', '')), /disk full/);
  db.del = remove;
  assert.deepEqual(await sent(indexed, ['$devices/d1/state']), ['$devices/d1/state=on@1']);
});

test('a filter reads at most its limit of values, and each filter gets its fill', async (t) => {
  const db = await openDb(await tempDir(t));
  t.after(() => db.close());
  const indexed = (await withRetainedIndex(new AsyncLevelPersistence(db), db, 3)).persistence as unknown as RetainedStore;
  const topics = Array.from({ length: 10 }, (_, i) => [`$devices/d${i}/state`, `$devices/d${i}/config`]).flat();
  for (const topic of topics) await indexed.storeRetained(permanentValue(topic, 'v'));
  for (const filters of [
    ['$devices/+/state'],
    ['$devices/d5/#', '$devices/+/state'],
    ['$devices/#', '$devices/+/config', '$devices/d9/state'],
  ]) {
    assertEachFilterFilled(await sent(indexed, filters), filters, topics, 3);
  }
  assert.deepEqual(await sent(indexed, ['$devices/+/state']), ['$devices/d0/state=v@1', '$devices/d1/state=v@1', '$devices/d2/state=v@1']);
});
