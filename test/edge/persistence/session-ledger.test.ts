// The session ledger on both backends: of several edges sweeping it, exactly one may claim a
// session for removal; a claim lapses so a sweeper that dies is taken over; coming back online
// (or going offline again) takes the session out of reach of an old claim. A connection's close
// does not record offline a session a newer connection holds, on this edge or another; the
// sessions of an edge that stopped renewing its lease become offline, and the edge takes back
// those still connected to it if it was only cut off.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MongoClient } from 'mongodb';
import { mongoSessionLedger } from '../../../services/edge/persistence/mongo-session-ledger.js';
import { levelSessionLedger, type SessionLedger } from '../../../services/edge/persistence/session-ledger.js';
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
    await ledger.offline('gone', 1, new Date(Date.now() - 2 * HOUR));
    const before = new Date(Date.now() - HOUR);
    assert.deepEqual(await other.offlineSince(before, 10), ['gone']);
    const claims = await Promise.all([ledger.claim('gone', before, 60_000), other.claim('gone', before, 60_000)]);
    assert.deepEqual(claims.sort(), [false, true]);
  });

  test('two edges sweeping the same sessions at once remove each exactly once', async () => {
    const sessions = Array.from({ length: 100 }, (_, index) => `swept-${index}`);
    for (const id of sessions) await ledger.offline(id, 1, new Date(Date.now() - 2 * HOUR));
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
    await ledger.offline('recent', 1, new Date());
    assert.equal(await ledger.claim('recent', before, 60_000), false);
    await ledger.offline('returned', 1, new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.held('returned', 2), true, 'the session was offline');
    assert.equal(await ledger.claim('returned', before, 60_000), false);
  });

  test('a lapsed claim is taken over; going offline again clears an old claim', async () => {
    const before = new Date(Date.now() - HOUR);
    await ledger.offline('orphan', 1, new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.claim('orphan', before, 50), true);
    assert.equal(await other.claim('orphan', before, 60_000), false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await other.claim('orphan', before, 60_000), true);
    await ledger.offline('orphan', 1, new Date(Date.now() - 2 * HOUR));
    assert.equal(await ledger.claim('orphan', before, 60_000), true);
  });

  test('a session held on another edge existed; only the connection holding it records it offline', async () => {
    const past = new Date(Date.now() - 2 * HOUR);
    const offline = async (id: string) => (await ledger.offlineSince(new Date(), 1000)).includes(id);
    assert.equal(await ledger.held('roamer', 1), false, 'a new session');
    assert.equal(await other.held('roamer', 1), true, 'moving to another edge: the session exists');
    await ledger.offline('roamer', 1, past);
    assert.equal(await offline('roamer'), false, "the first edge's close came after the move");
    assert.equal(await other.held('roamer', 2), true, 'a takeover on the same edge');
    await other.offline('roamer', 1, past);
    assert.equal(await offline('roamer'), false, "the older connection's close");
    await other.offline('roamer', 2, past);
    assert.equal(await offline('roamer'), true, 'the holding connection closed');
    await ledger.ended('roamer');
    assert.equal(await ledger.held('roamer', 3), false, 'a clean session ended it');
  });

  test("an edge's lapsed lease makes its sessions offline; the edge takes back those still connected", async () => {
    const past = new Date(Date.now() - 2 * HOUR);
    const db = client.db(uniqueDbName('ledger-lease'));
    const [alive, stalled] = [await mongoSessionLedger(db, 'mqtt_'), await mongoSessionLedger(db, 'mqtt_')];
    assert.equal(await alive.renew(60_000), false, 'a first lease has not lapsed');
    assert.equal(await stalled.renew(50), false);
    await stalled.held('kept', 1);
    await stalled.held('moved', 2);
    await alive.held('moved', 9);
    const offline = async () => (await alive.offlineSince(new Date(Date.now() + 1000), 1000)).sort();
    assert.equal(await alive.releaseLapsed(past, 100), 0, 'every lease is live');
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await alive.releaseLapsed(past, 100), 1, "the stalled edge's one session");
    assert.deepEqual(await offline(), ['kept']);
    assert.equal(await alive.claim('kept', new Date(Date.now() - HOUR), 60_000), true, 'offline from when it was found');
    assert.equal(await stalled.renew(60_000), true, 'the stalled edge learns its lease had run out');
    await stalled.reclaim('kept', 1);
    await stalled.reclaim('moved', 2);
    assert.deepEqual(await offline(), [], 'held again');
    await alive.offline('moved', 9, past);
    assert.deepEqual(await offline(), ['moved'], 'still held by the edge it moved to, so its close counted');
    assert.equal(await stalled.renew(60_000), false, 'a lease renewed in time');
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
    await ledger.offline('gone', 1, new Date(Date.now() - 2 * HOUR));
    await ledger.offline('recent', 1, new Date());
    assert.equal(await ledger.claim('gone', before, 60_000), true);
    assert.equal(await ledger.claim('recent', before, 60_000), false);
    await ledger.purge('gone');
    assert.equal(await ledger.claim('gone', before, 60_000), false);
  });

  test('only the connection holding a session records it offline, whatever the order of the writes', async () => {
    const ledger = levelSessionLedger(db);
    const past = new Date(Date.now() - 2 * HOUR);
    const offline = async () => (await ledger.offlineSince(new Date(), 1000)).filter((id) => id.startsWith('quick'));
    // A client back at once: its old connection's close and its new CONNECT, issued together.
    await Promise.all([ledger.held('quick', 1), ledger.held('quick', 2), ledger.offline('quick', 1, past)]);
    assert.deepEqual(await offline(), []);
    await ledger.offline('quick', 2, past);
    assert.deepEqual(await offline(), ['quick']);
  });

  test('after a restart, the sessions held before it are offline from when it was found, and existed', async () => {
    const before = levelSessionLedger(db);
    await before.held('crashed', 1);
    const after = levelSessionLedger(db); // the same store, opened by the next process
    const found = new Date(Date.now() - 2 * HOUR);
    assert.equal(await after.releaseLapsed(found, 1000), 1);
    assert.equal(await after.claim('crashed', new Date(Date.now() - HOUR), 60_000), true);
    assert.equal(await after.held('crashed', 1), true, 'Session Present');
    assert.equal(await after.releaseLapsed(found, 1000), 0, 'held by this process');
  });

  test('after a restart, a clean CONNECT ends a session recorded before it', async () => {
    const before = levelSessionLedger(db);
    await before.offline('returning', 1, new Date(Date.now() - 2 * HOUR));
    const after = levelSessionLedger(db);
    await Promise.all([after.ended('returning'), after.ended('never-persistent')]);
    assert.equal(await after.claim('returning', new Date(), 60_000), false, 'nothing left to expire');
    assert.equal(await after.held('returning', 1), false, 'no Session Present after a clean session');
    assert.equal(await after.held('never-persistent', 2), false);
  });

  test('a failed first read of the entries is tried again, not kept', async (t) => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-ledger-'));
    const own = new ClassicLevel<string, Buffer>(ownDir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    t.after(async () => {
      await own.close();
      await rm(ownDir, { recursive: true, force: true });
    });
    await own.open();
    await levelSessionLedger(own).offline('known', 1, new Date());
    await own.close();
    const ledger = levelSessionLedger(own);
    await assert.rejects(ledger.held('known', 1), 'the store is closed');
    await own.open();
    assert.equal(await ledger.held('known', 1), true, 'the entry on disk is found');
  });
});
