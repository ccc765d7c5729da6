// The embedded store's index of which clients have session state (persistence/client-state-index.ts):
// a clean session's CONNECT and close touch the database only for clients with something stored,
// whatever is stored — in this process or before a restart — is still removed when it should be,
// and aedes' sweep for the wills of dead brokers reads only the wills stored before the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { clientIdOfKey, withClientStateIndex } from '../../../services/edge/persistence/client-state-index.js';

interface State {
  addSubscriptions(client: { id: string }, subscriptions: Array<{ topic: string; qos: number }>): Promise<void>;
  subscriptionsByClient(client: { id: string }): Promise<unknown[]>;
  cleanSubscriptions(client: { id: string }): Promise<void>;
  incomingStorePacket(client: { id: string }, packet: object): Promise<void>;
  incomingGetPacket(client: { id: string }, packet: { messageId: number }): Promise<unknown>;
  cleanIncoming(client: { id: string }): Promise<void>;
  putWill(client: { id: string }, packet: object): Promise<void>;
  getWill(client: { id: string }): Promise<unknown>;
  delWill(client: { id: string }): Promise<unknown>;
  outgoingEnqueueCombi(subscribers: Array<{ clientId: string }>, packet: object): Promise<unknown>;
  outgoingStream(client: { id: string }): AsyncIterable<{ topic: string }>;
  setup(broker: object): Promise<void>;
  streamWill(brokers: Record<string, number>): AsyncIterable<{ clientId: string; brokerId: string }>;
}

/** A broker as far as the store's setup needs one. */
const broker = (id: string) => ({
  id,
  subscribe: (_topic: string, _handler: unknown, done: () => void) => done(),
  publish: () => undefined,
});

/** What aedes' sweep for the wills of brokers not live gets: "<broker> <client>". */
async function sweptWills(state: State, live: string): Promise<string[]> {
  const found: string[] = [];
  for await (const packet of state.streamWill({ [live]: Date.now() })) found.push(`${packet.brokerId} ${packet.clientId}`);
  return found;
}

async function queuedTopics(state: State, client: { id: string }): Promise<string[]> {
  const topics: string[] = [];
  for await (const packet of state.outgoingStream(client)) topics.push(packet.topic);
  return topics;
}

/** A LevelDB database that counts the operations made on it. */
async function openCounted(dir: string) {
  const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const counts = { reads: 0 };
  for (const name of ['get', 'iterator', 'values', 'clear'] as const) {
    const original = (db[name] as (...args: unknown[]) => unknown).bind(db);
    (db as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      counts.reads++;
      return original(...args);
    };
  }
  return { db, counts };
}

async function indexed(db: ClassicLevel<string, Buffer>): Promise<State> {
  return (await withClientStateIndex(new AsyncLevelPersistence(db), db)) as unknown as State;
}

/** An indexed store in a directory of its own, removed after the test. */
async function freshStore(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-client-index-'));
  const { db, counts } = await openCounted(dir);
  t.after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { state: await indexed(db), counts };
}

const will = { cmd: 'publish', topic: 'w', payload: Buffer.from('gone'), qos: 0, retain: false };
const queued = (counter: number) => ({
  cmd: 'publish',
  topic: `$devices/d/commands/${counter}`,
  payload: Buffer.from('c'),
  qos: 1,
  retain: false,
  brokerId: 'b',
  brokerCounter: counter,
});
const qos2 = { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, retain: false, messageId: 7 };

test('a client with nothing stored: the clean-session removals do not touch the database', async (t) => {
  const { state, counts } = await freshStore(t);
  counts.reads = 0;
  const client = { id: 'reg/device-1' };
  await state.cleanSubscriptions(client);
  await state.cleanIncoming(client);
  assert.equal(await state.delWill(client), undefined);
  assert.deepEqual(await queuedTopics(state, client), []);
  assert.equal(counts.reads, 0);
});

test('a queue of outgoing messages is read only for a client something was queued for', async (t) => {
  const { state, counts } = await freshStore(t);
  const subscriber = { id: 'reg/queued' };
  const other = { id: 'reg/queued-not' };
  await state.outgoingEnqueueCombi([{ clientId: subscriber.id }], queued(1));
  await state.outgoingEnqueueCombi([{ clientId: subscriber.id }], queued(2));
  counts.reads = 0;
  assert.deepEqual(await queuedTopics(state, other), []);
  assert.equal(counts.reads, 0, 'a client with the queued one as a prefix of its ID reads nothing');
  assert.deepEqual(await queuedTopics(state, subscriber), ['$devices/d/commands/1', '$devices/d/commands/2']);
  assert.ok(counts.reads > 0);
});

test('what a client stored is removed by the clean-session removals, then they are free again', async (t) => {
  const { state, counts } = await freshStore(t);
  const client = { id: 'reg/with:colon' };
  await state.addSubscriptions(client, [{ topic: '$iot/reg/commands/#', qos: 1 }]);
  await state.incomingStorePacket(client, qos2);
  await state.putWill(client, { ...will });
  await state.cleanSubscriptions(client);
  await state.cleanIncoming(client);
  assert.ok(await state.delWill(client), 'the stored will is returned as it is deleted');
  assert.deepEqual(await state.subscriptionsByClient(client), []);
  await assert.rejects(state.incomingGetPacket(client, qos2), /no such packet/);
  assert.equal(await state.getWill(client), undefined);
  counts.reads = 0;
  await state.cleanSubscriptions(client);
  await state.cleanIncoming(client);
  await state.delWill(client);
  assert.equal(counts.reads, 0, 'removed once, nothing left to look for');
});

test('state stored before a restart is found from the keys on disk and removed', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-client-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const client = { id: 'reg/persistent é' };
  const before = await openCounted(dir);
  const first = await indexed(before.db);
  await first.addSubscriptions(client, [{ topic: '$iot/reg/events', qos: 1 }]);
  await first.incomingStorePacket(client, qos2);
  await first.putWill(client, { ...will });
  await first.outgoingEnqueueCombi([{ clientId: client.id }], queued(3));
  await before.db.close();

  const after = await openCounted(dir);
  t.after(() => after.db.close());
  const state = await indexed(after.db);
  assert.deepEqual(await queuedTopics(state, client), ['$devices/d/commands/3']);
  await state.cleanSubscriptions(client);
  await state.cleanIncoming(client);
  assert.ok(await state.delWill(client));
  assert.deepEqual(await state.subscriptionsByClient(client), []);
  await assert.rejects(state.incomingGetPacket(client, qos2), /no such packet/);
});

test("aedes' will sweep reads only the wills found on disk at start, each until it is deleted or replaced", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-client-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const before = await openCounted(dir);
  const first = await indexed(before.db);
  await first.setup(broker('edge-before'));
  for (const id of ['reg/d1', 'reg/d2', 'reg/d3']) await first.putWill({ id }, { ...will });
  await before.db.close();

  const after = await openCounted(dir);
  t.after(() => after.db.close());
  const state = await indexed(after.db);
  await state.setup(broker('edge-now'));
  for (let device = 0; device < 50; device++) await state.putWill({ id: `reg/now-${device}` }, { ...will });
  // d2 connected again, here, with a will; d3 closed here (aedes deletes the will of a client it closes).
  await state.putWill({ id: 'reg/d2' }, { ...will });
  await state.delWill({ id: 'reg/d3' });
  after.counts.reads = 0;
  assert.deepEqual(await sweptWills(state, 'edge-now'), ['edge-before reg/d1']);
  assert.equal(after.counts.reads, 1, "one read: d1's will");
  // As aedes does once it has published the will.
  assert.ok(await state.delWill({ id: 'reg/d1' }));
  after.counts.reads = 0;
  assert.deepEqual(await sweptWills(state, 'edge-now'), []);
  assert.equal(after.counts.reads, 0, 'nothing left from before the restart: no read');
});

test('a client ID is read back from each kind of key, escaped characters included', () => {
  const id = 'reg/a:b é';
  const encoded = encodeURIComponent(id);
  assert.equal(clientIdOfKey('subscriptions:', `subscriptions:${encoded}:$iot/reg/#`), id);
  assert.equal(clientIdOfKey('incoming:', `incoming:${encoded}:0000000000000007`), id);
  assert.equal(clientIdOfKey('will:', `will:${encoded}`), id);
  assert.equal(clientIdOfKey('outgoing:', `outgoing:${encoded}:broker-1:0000000000000003`), id);
});
