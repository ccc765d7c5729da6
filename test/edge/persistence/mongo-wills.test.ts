// Wills on MongoDB (persistence/mongo-wills.ts): a sweep for the wills of dead edges finds every
// will of every edge that is not live, including wills stored before the edges were named, and
// reads no will at all while every edge that stored one is live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import mongoPersistence from 'aedes-persistence-mongodb';
import { sweepWillsByOwner } from '../../../services/edge/persistence/mongo-wills.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

interface Store {
  setup(broker: object): Promise<void>;
  putWill(client: { id: string }, packet: object): Promise<void>;
  delWill(client: { id: string; brokerId: string }): Promise<{ payload: Buffer } | null>;
  streamWill(brokers?: Record<string, number>): AsyncIterable<{ clientId: string; brokerId: string; payload: Buffer }>;
}

/** One edge's store, as the edge sets it up: aedes-persistence-mongodb with iotcore's will handling. */
async function edgeStore(db: Db, brokerId: string): Promise<Store> {
  const store = (mongoPersistence({ db, collectionPrefix: 'mqtt_' }) as { asyncPersistence: Store }).asyncPersistence;
  await sweepWillsByOwner(store as never, db, 'mqtt_');
  // A broker as far as setup needs one: it subscribes to subscription changes.
  await store.setup({ id: brokerId, subscribe: (_topic: string, _handler: unknown, done: () => void) => done() });
  return store;
}

function will(device: string) {
  return { cmd: 'publish', topic: `$iot/r/devices/${device}/events/gone`, payload: Buffer.from(`${device} gone`), qos: 1, retain: false };
}

async function swept(store: Store, live: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const packet of store.streamWill(Object.fromEntries(live.map((id) => [id, Date.now()]))))
    found.push(`${packet.brokerId}:${packet.clientId}:${packet.payload.toString()}`);
  return found.sort();
}

async function database(t: { after(fn: () => Promise<void>): void }) {
  const client = await MongoClient.connect(await mongoUrl(), { monitorCommands: true });
  t.after(() => client.close());
  return { client, db: client.db(uniqueDbName('wills')) };
}

test('a sweep finds the wills of edges that are not live, and only theirs', async (t) => {
  const { db } = await database(t);
  const a = await edgeStore(db, 'edge-a');
  const b = await edgeStore(db, 'edge-b');
  for (const device of ['d1', 'd2']) await a.putWill({ id: device }, will(device));
  await b.putWill({ id: 'd3' }, will('d3'));
  assert.deepEqual(await swept(b, ['edge-a', 'edge-b']), []);
  assert.deepEqual(await swept(b, ['edge-b']), ['edge-a:d1:d1 gone', 'edge-a:d2:d2 gone']);
  assert.deepEqual(await swept(a, ['edge-a']), ['edge-b:d3:d3 gone']);
  // Published wills are deleted by client and edge, as aedes does after publishing one.
  assert.equal((await b.delWill({ id: 'd1', brokerId: 'edge-a' }))?.payload.toString(), 'd1 gone');
  assert.equal(await b.delWill({ id: 'd1', brokerId: 'edge-a' }), null, 'deleted once');
  assert.deepEqual(await swept(b, ['edge-b']), ['edge-a:d2:d2 gone']);
});

test('wills stored before the edges were named are found once their edge is dead', async (t) => {
  const { db } = await database(t);
  // As an edge of the previous version stored it: aedes-persistence-mongodb alone.
  const stock = (mongoPersistence({ db, collectionPrefix: 'mqtt_' }) as { asyncPersistence: Store }).asyncPersistence;
  await stock.setup({ id: 'old-edge', subscribe: (_topic: string, _handler: unknown, done: () => void) => done() });
  await stock.putWill({ id: 'd1' }, will('d1'));
  const upgraded = await edgeStore(db, 'new-edge');
  assert.deepEqual(await swept(upgraded, ['new-edge', 'old-edge']), []);
  assert.deepEqual(await swept(upgraded, ['new-edge']), ['old-edge:d1:d1 gone']);
});

test('a sweep with every edge live reads no will', async (t) => {
  const { client, db } = await database(t);
  const edges = await Promise.all(['edge-a', 'edge-b', 'edge-c'].map((id) => edgeStore(db, id)));
  for (const [index, edge] of edges.entries())
    for (let device = 0; device < 20; device++) await edge.putWill({ id: `d${index}-${device}` }, will(`d${device}`));
  const reads: CommandStartedEvent[] = [];
  const record = (event: CommandStartedEvent) => {
    if (['find', 'aggregate', 'getMore'].includes(event.commandName) && event.command[event.commandName] === 'mqtt_will') reads.push(event);
  };
  client.on('commandStarted', record);
  try {
    assert.deepEqual(await swept(edges[0]!, ['edge-a', 'edge-b', 'edge-c']), []);
    assert.equal(reads.length, 0, `reads of the will collection: ${reads.map((event) => JSON.stringify(event.command)).join('; ')}`);
    assert.equal((await swept(edges[0]!, ['edge-a', 'edge-c'])).length, 20);
    assert.ok(
      reads.every((event) => JSON.stringify(event.command.filter ?? {}).includes('edge-b')),
      'only the dead edge was read',
    );
  } finally {
    client.off('commandStarted', record);
  }
});
