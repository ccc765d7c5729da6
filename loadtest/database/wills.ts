// `npm run bench:database -- --only wills`: what wills cost an edge's store next to N stored ones,
// aedes' stores as shipped against iotcore's (persistence/client-state-index.ts on LevelDB,
// persistence/mongo-wills.ts and the subscription index on MongoDB): aedes' sweep for the wills of
// dead edges (every 8 s on every edge), a CONNECT with a will and its close (the will stored and
// deleted), and on MongoDB a persistent CONNECT's read of its subscriptions. Every stored will belongs to a
// live edge, so a sweep finds nothing: what it costs is what it reads to find that.
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import mongoPersistence from 'aedes-persistence-mongodb';
import type { Db } from 'mongodb';
import { withClientStateIndex } from '../../services/edge/persistence/client-state-index.js';
import { mongoMqttPersistence } from '../../services/edge/persistence/mongo.js';
import { runPsql, type FerretDbBackend } from '../../test/support/servers.js';
import { msPer, onFerretDb, onLevelDb, storeRow } from './stores.js';

interface WillStore {
  setup(broker: object): Promise<void>;
  putWill(client: { id: string }, packet: object): Promise<void>;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
  streamWill(brokers: Record<string, number>): AsyncIterable<unknown>;
  subscriptionsByClient(client: { id: string }): Promise<unknown>;
}

const BROKER_ID = 'bench-edge';
/** A broker as far as the stores' setup needs one. */
const BROKER = { id: BROKER_ID, subscribe: (_topic: string, _handler: unknown, done: () => void) => done(), publish: () => undefined };

function will(device: number) {
  return { cmd: 'publish', topic: `$iot/r/devices/d${device}/events/status`, payload: Buffer.from('offline'), qos: 1, retain: false };
}

/** The sweep, a will stored and deleted, and (with `subscriptions`, filled on MongoDB only) a client's subscriptions read. */
async function cells(store: WillStore, seconds: number, subscriptions: boolean): Promise<string[]> {
  return [
    await msPer(seconds, async () => {
      for await (const _ of store.streamWill({ [BROKER_ID]: Date.now() }));
    }),
    await msPer(seconds, async (i) => {
      await store.putWill({ id: `bench-${i}` }, will(i));
      await store.delWill({ id: `bench-${i}`, brokerId: BROKER_ID });
    }),
    // LevelDB keeps subscriptions under keys by client: nothing there grows with the fleet.
    subscriptions ? await msPer(seconds, (i) => store.subscriptionsByClient({ id: `c${i}` })) : '–',
  ];
}

export function willsOnLevelDb(sizes: number[], seconds: number): Promise<string[]> {
  return onLevelDb(async (db) => {
    const rows: string[] = [];
    const stock = new AsyncLevelPersistence(db) as unknown as WillStore;
    await stock.setup(BROKER);
    let stored = 0;
    for (const size of sizes) {
      for (; stored < size; stored++) await stock.putWill({ id: `c${stored}` }, will(stored));
      // The index is read from the database at start, as the edge does; these wills are then the
      // edge's own (they name its broker), as they are once its devices have connected.
      const indexed = (await withClientStateIndex(new AsyncLevelPersistence(db), db)) as unknown as WillStore;
      await indexed.setup(BROKER);
      for (let device = 0; device < size; device++) await indexed.putWill({ id: `c${device}` }, will(device));
      rows.push(storeRow('LevelDB (all-in-one)', size, await cells(stock, seconds, false), await cells(indexed, seconds, false)));
    }
    return rows;
  });
}

/** `size` wills and as many subscriptions, as aedes-persistence-mongodb stores them. */
async function fill(db: Db, from: number, size: number): Promise<void> {
  for (let first = from; first < size; first += 1000) {
    const devices = Array.from({ length: Math.min(1000, size - first) }, (_, i) => first + i);
    await db
      .collection('mqtt_will')
      .insertMany(
        devices.map((device) => ({ clientId: `c${device}`, packet: { ...will(device), clientId: `c${device}`, brokerId: BROKER_ID } })),
      );
    await db
      .collection('mqtt_subscriptions')
      .insertMany(devices.map((device) => ({ clientId: `c${device}`, topic: `$iot/r/devices/d${device}/commands`, qos: 1 })));
  }
}

export function willsOnFerretDb(backend: FerretDbBackend, sizes: number[], seconds: number): Promise<string[]> {
  return onFerretDb(backend, async (client, server) => {
    const rows: string[] = [];
    const stock = (mongoPersistence({ db: client.db('bench_stock'), collectionPrefix: 'mqtt_' }) as { asyncPersistence: WillStore })
      .asyncPersistence;
    await stock.setup(BROKER);
    const state = await mongoMqttPersistence(server.url, 'bench_iotcore');
    try {
      const iotcore = (state.persistence as { asyncPersistence: WillStore }).asyncPersistence;
      await iotcore.setup(BROKER);
      let stored = 0;
      for (const size of sizes) {
        for (const name of ['bench_stock', 'bench_iotcore']) await fill(client.db(name), stored, size);
        stored = size;
        // PostgreSQL's statistics as autovacuum keeps them in a running deployment, not as a bulk
        // insert just left them (its planner then scans tables it takes for small).
        if (server.postgresUrl) runPsql(server.postgresUrl, ['--command', 'ANALYZE']);
        rows.push(storeRow(`FerretDB on ${backend}`, size, await cells(stock, seconds, true), await cells(iotcore, seconds, true)));
      }
    } finally {
      await state.close();
    }
    return rows;
  });
}

export const WILLS_TABLE_HEADER = [
  "| store | stored wills and subscriptions | aedes as shipped: sweep for dead edges' wills, ms | CONNECT with a will and its close, ms | a persistent CONNECT's subscriptions, ms | iotcore: sweep, ms | will stored and deleted, ms | subscriptions, ms |",
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
