// The offline-session ledger on both backends: of several edges sweeping it, exactly one may claim a
// session for removal; a claim lapses so a sweeper that dies is taken over; coming back online
// (or going offline again) takes the session out of reach of an old claim.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MongoClient } from 'mongodb';
import { levelSessionLedger, mongoSessionLedger, type SessionLedger } from '../../../services/edge/persistence/session-ledger.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

const HOUR = 3_600_000;

describe('offline-session ledger on MongoDB: claims', () => {
  let client: MongoClient;
  let ledger: SessionLedger;
  let other: SessionLedger;
  before(async () => {
    client = await MongoClient.connect(await mongoUrl());
    const db = client.db(uniqueDbName('ledger'));
    ledger = await mongoSessionLedger(db, 'mqtt_');
    other = await mongoSessionLedger(db, 'mqtt_');
  });
  after(async () => client.close());

  test('one of two edges claims an expired session; the other is refused', async () => {
    await ledger.offline('gone', new Date(Date.now() - 2 * HOUR));
    const before = new Date(Date.now() - HOUR);
    assert.deepEqual(await other.offlineSince(before, 10), ['gone']);
    const claims = await Promise.all([ledger.claim('gone', before, 60_000), other.claim('gone', before, 60_000)]);
    assert.deepEqual(claims.sort(), [false, true]);
  });

  test('two edges sweeping the same sessions at once remove each exactly once', async () => {
    const sessions = Array.from({ length: 100 }, (_, index) => `swept-${index}`);
    for (const id of sessions) await ledger.offline(id, new Date(Date.now() - 2 * HOUR));
    const before = new Date(Date.now() - HOUR);
    // As session-expiry.ts sweeps: claim, then purge; each edge counts what it removed.
    const sweep = async (edge: SessionLedger) => {
      let removed = 0;
      for (const id of await edge.offlineSince(before, 1000)) {
        if (!id.startsWith('swept-') || !(await edge.claim(id, before, 60_000))) continue;
        await edge.purge(id);
        removed++;
      }
      return removed;
    };
    const removed = await Promise.all([sweep(ledger), sweep(other), sweep(ledger), sweep(other)]);
    assert.equal(
      removed.reduce((sum, count) => sum + count, 0),
      sessions.length,
      `removed per sweep: ${removed.join(', ')}`,
    );
  });

  test('a session offline too briefly, or back online, cannot be claimed', async () => {
    const before = new Date(Date.now() - HOUR);
    await ledger.offline('recent', new Date());
    assert.equal(await ledger.claim('recent', before, 60_000), false);
    await ledger.offline('returned', new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.online('returned'), true, 'the session was offline');
    assert.equal(await ledger.online('returned'), false, 'and is no more');
    assert.equal(await ledger.claim('returned', before, 60_000), false);
  });

  test('a lapsed claim is taken over; going offline again clears an old claim', async () => {
    const before = new Date(Date.now() - HOUR);
    await ledger.offline('orphan', new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.claim('orphan', before, 50), true);
    assert.equal(await other.claim('orphan', before, 60_000), false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await other.claim('orphan', before, 60_000), true);
    await ledger.offline('orphan', new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.claim('orphan', before, 60_000), true);
  });
});

describe('offline-session ledger on LevelDB: claims', () => {
  let dir: string;
  let db: ClassicLevel<string, Buffer>;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-ledger-'));
    db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('only sessions still recorded offline long enough are claimed', async () => {
    const ledger = levelSessionLedger(db);
    const before = new Date(Date.now() - HOUR);
    await ledger.offline('gone', new Date(Date.now() - 2 * HOUR));
    await ledger.offline('recent', new Date());
    assert.equal(await ledger.claim('gone', before, 60_000), true);
    assert.equal(await ledger.claim('recent', before, 60_000), false);
    await ledger.purge('gone');
    assert.equal(await ledger.claim('gone', before, 60_000), false);
  });
});
