// The connection-log store, the same checks against LevelDB (all-in-one) and the MongoDB-compatible server of the
// test infrastructure (FerretDB, which refuses TTL indexes: the retention sweep alone bounds it there).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MongoClient } from 'mongodb';
import type { ConnectionLogEntry } from '../../../services/contracts/connection-logs.js';
import type { ConnectionLogStore, LogQuery } from '../../../services/registry/logs/log-store.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';
import { openMongoLogStore } from '../../../services/registry/logs/mongo-log-store.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

const base = new Date('2026-12-04T03:00:00.000Z');
let counter = 0;
const entry = (seconds: number, fields: Partial<ConnectionLogEntry> = {}): ConnectionLogEntry => ({
  uid: `e${String(counter++).padStart(6, '0')}`,
  timestamp: new Date(base.getTime() + seconds * 1000),
  level: 3,
  event: 'connected',
  message: 'connected',
  registry_id: 'r1',
  broker_id: '',
  device_id: 'd1',
  payload: { client_id: 'c' },
  ...fields,
});
const query = (fields: Partial<LogQuery>): LogQuery => ({
  source: { registry_id: 'r1' },
  levels: [],
  events: [],
  device_ids: [],
  limit: 100,
  ...fields,
});
const messages = (entries: ConnectionLogEntry[]) => entries.map((item) => item.message);

function logStoreContract(name: string, open: () => Promise<ConnectionLogStore>) {
  describe(`connection-log store, ${name}`, () => {
    let store: ConnectionLogStore;
    before(async () => {
      store = await open();
      await store.append([
        entry(3, { message: 'd1 disconnected', event: 'disconnected' }),
        entry(1, { message: 'd1 connected' }),
        entry(2, { message: 'd1 bad password', event: 'auth_failed', level: 5 }),
        entry(2, { message: 'd2 connected', device_id: 'd2' }),
        entry(4, { message: 'registry connected', device_id: '' }),
        entry(5, { message: 'other registry', registry_id: 'r2', device_id: 'd9' }),
        entry(6, { message: 'broker connected', registry_id: '', broker_id: 'b1', device_id: '' }),
      ]);
    });
    after(() => store.close());

    test("by registry (its own entries; its devices' by device ID), device or broker, oldest first, ties in uid order", async () => {
      assert.deepEqual(messages(await store.read(query({}))), ['registry connected'], "Yandex: not its devices' operations");
      assert.deepEqual(messages(await store.read(query({ device_ids: ['d1', 'd2', ''] }))), [
        'd1 connected',
        'd1 bad password',
        'd2 connected',
        'd1 disconnected',
        'registry connected',
      ]);
      assert.deepEqual(messages(await store.read(query({ source: { device_id: 'd1' } }))), [
        'd1 connected',
        'd1 bad password',
        'd1 disconnected',
      ]);
      assert.deepEqual(messages(await store.read(query({ source: { broker_id: 'b1' } }))), ['broker connected']);
      const [first] = await store.read(query({ source: { device_id: 'd1' }, limit: 1 }));
      assert.deepEqual(first, { ...entry(1, { message: 'd1 connected' }), uid: first!.uid }, 'every field round-trips');
    });

    test('time range (since inclusive, until exclusive), filters, and paging after an entry', async () => {
      const everyone = ['d1', 'd2', ''];
      assert.deepEqual(
        messages(
          await store.read(query({ device_ids: everyone, since: new Date(base.getTime() + 2000), until: new Date(base.getTime() + 4000) })),
        ),
        ['d1 bad password', 'd2 connected', 'd1 disconnected'],
      );
      assert.deepEqual(messages(await store.read(query({ device_ids: everyone, levels: [5] }))), ['d1 bad password']);
      assert.deepEqual(messages(await store.read(query({ events: ['connected'], device_ids: ['d2', ''] }))), [
        'd2 connected',
        'registry connected',
      ]);
      const page = await store.read(query({ device_ids: everyone, limit: 2 }));
      const next = await store.read(query({ device_ids: everyone, limit: 2, after: page.at(-1) }));
      assert.deepEqual(messages(next), ['d2 connected', 'd1 disconnected']);
    });

    test('appending the same uid again stores it once', async () => {
      const again = entry(7, { message: 'retried', registry_id: 'r3', device_id: 'd9' });
      await store.append([again]);
      await store.append([again, entry(8, { message: 'new', registry_id: 'r3', device_id: 'd9' })]);
      assert.deepEqual(messages(await store.read(query({ source: { registry_id: 'r3' }, device_ids: ['d9'] }))), ['retried', 'new']);
    });

    test('retention: entries past the age go, then the oldest past the count', async () => {
      const now = new Date(base.getTime() + 10_000);
      // 10 entries; everything before second 2 is too old; of the rest only the newest 6 may stay.
      assert.equal(await store.prune({ maxAgeMs: 8_000, maxEntries: 6 }, now), 3);
      const left = [
        ...(await store.read(query({ device_ids: ['d1', 'd2', ''] }))),
        ...(await store.read(query({ source: { registry_id: 'r2' }, device_ids: ['d9'] }))),
        ...(await store.read(query({ source: { registry_id: 'r3' }, device_ids: ['d9'] }))),
        ...(await store.read(query({ source: { broker_id: 'b1' } }))),
      ];
      assert.deepEqual(messages(left).sort(), [
        'broker connected',
        'd1 disconnected',
        'new',
        'other registry',
        'registry connected',
        'retried',
      ]);
      assert.deepEqual(messages(await store.read(query({ source: { device_id: 'd1' } }))), ['d1 disconnected'], "the device's index too");
      assert.equal(await store.prune({ maxAgeMs: 8_000, maxEntries: 6 }, now), 0);
    });
  });
}

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
logStoreContract('LevelDB', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-logs-'));
  dirs.push(dir);
  return openEmbeddedLogStore(dir);
});

describe('connection-log store, LevelDB: the entry count kept beside the entries', () => {
  const openAt = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-logs-'));
    dirs.push(dir);
    return dir;
  };
  /** What a fresh open has to go on: the stored count, and the entries it must equal. */
  const onDisk = async (dir: string) => {
    const db = new ClassicLevel<string, string>(dir);
    await db.open();
    try {
      let entries = 0;
      for await (const _ of db.keys({ gt: 't:', lt: 't;' })) entries++;
      return { count: await db.get('m:count'), entries };
    } finally {
      await db.close();
    }
  };
  /** Old enough to prune nothing by age: only the entry caps below prune. */
  const noAgeLimit = 3_600_000_000;

  test('stays equal to the entries through retried batches, concurrent appends and prunes, and is used after a reopen', async () => {
    const dir = await openAt();
    let store = await openEmbeddedLogStore(dir);
    const first = Array.from({ length: 30 }, (_, i) => entry(i));
    await Promise.all([
      store.append(first.slice(0, 20)),
      store.append(first.slice(10, 30)),
      store.prune({ maxAgeMs: noAgeLimit, maxEntries: 25 }, base),
      store.append(first.slice(0, 5)),
    ]);
    await store.close();
    const written = await onDisk(dir);
    assert.equal(written.count, String(written.entries));
    assert.ok(written.entries >= 25 && written.entries <= 30, `${written.entries} entries`);

    store = await openEmbeddedLogStore(dir);
    await store.append([entry(40), first[0]!]);
    assert.equal(await store.prune({ maxAgeMs: noAgeLimit, maxEntries: 10 }, base), written.entries + 1 - 10);
    await store.close();
    assert.deepEqual(await onDisk(dir), { count: '10', entries: 10 });
  });

  test('a store written before the count was kept is counted once at open', async () => {
    const dir = await openAt();
    const store = await openEmbeddedLogStore(dir);
    await store.append(Array.from({ length: 12 }, (_, i) => entry(i)));
    await store.close();
    for (const count of [undefined, 'not a number']) {
      const db = new ClassicLevel<string, string>(dir);
      await db.open();
      await (count === undefined ? db.del('m:count') : db.put('m:count', count));
      await db.close();
      const reopened = await openEmbeddedLogStore(dir);
      assert.equal(await reopened.prune({ maxAgeMs: noAgeLimit, maxEntries: 12 }, base), 0, 'nothing pruned below the cap');
      await reopened.close();
      assert.deepEqual(await onDisk(dir), { count: '12', entries: 12 });
    }
  });
});

const client = new MongoClient(await mongoUrl());
await client.connect();
after(() => client.close());
logStoreContract('MongoDB', () =>
  openMongoLogStore(
    client.db(uniqueDbName('logs')),
    { maxAgeMs: 3_600_000, maxEntries: 1000 },
    () => undefined,
    async () => undefined,
  ),
);
