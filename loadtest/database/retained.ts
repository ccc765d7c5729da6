// `npm run bench:database -- --only retained`: what one SUBSCRIBE's read of permanent-topic values
// (retained messages) costs next to N stored ones, aedes' stores as shipped against iotcore's reads
// (persistence/retained-index.ts on LevelDB, persistence/mongo-retained.ts on MongoDB). A device
// subscribes to its commands (nothing stored there) and to its state (one value stored), and a
// backend to every device's state, in a fleet whose every device has published its state.
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import mongoPersistence from 'aedes-persistence-mongodb';
import { withRetainedIndex } from '../../services/edge/persistence/retained-index.js';
import { readRetainedThroughIndex } from '../../services/edge/persistence/mongo-retained.js';
import { MAX_PERMANENT_REPLAY } from '../../services/edge/topics/routes.js';
import type { FerretDbBackend } from '../../test/support/servers.js';
import { msPer, onFerretDb, onLevelDb, storeRow } from './stores.js';

interface RetainedReads {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
}

const SUBSCRIPTIONS = { commands: '$devices/d7/commands', state: '$devices/d7/state', fleetState: '$devices/+/state' };

function stateValue(device: number) {
  return { cmd: 'publish', topic: `$devices/d${device}/state`, payload: Buffer.from('{"on":true}'), qos: 0, retain: true };
}

/** Milliseconds per SUBSCRIBE's read, over `seconds` (at least 3 reads), for each subscription. */
async function msPerRead(store: RetainedReads, seconds: number): Promise<string[]> {
  const cells: string[] = [];
  for (const filter of Object.values(SUBSCRIPTIONS))
    cells.push(
      await msPer(seconds, async () => {
        for await (const _ of store.createRetainedStreamCombi([filter]));
      }),
    );
  return cells;
}

export function retainedOnLevelDb(sizes: number[], seconds: number): Promise<string[]> {
  return onLevelDb(async (db) => {
    const rows: string[] = [];
    const stock = new AsyncLevelPersistence(db) as unknown as RetainedReads & { storeRetained(packet: object): Promise<void> };
    let stored = 0;
    for (const size of sizes) {
      for (; stored < size; stored++) await stock.storeRetained(stateValue(stored));
      // The index is read from the database at start, as the edge does.
      const indexed = (await withRetainedIndex(new AsyncLevelPersistence(db), db, MAX_PERMANENT_REPLAY))
        .persistence as unknown as RetainedReads;
      rows.push(storeRow('LevelDB (all-in-one)', size, await msPerRead(stock, seconds), await msPerRead(indexed, seconds)));
    }
    return rows;
  });
}

export function retainedOnFerretDb(backend: FerretDbBackend, sizes: number[], seconds: number): Promise<string[]> {
  return onFerretDb(backend, async (client) => {
    const rows: string[] = [];
    const db = client.db('bench');
    const stock = (
      mongoPersistence({ db, collectionPrefix: 'mqtt_' }) as { asyncPersistence: RetainedReads & { setup(broker: object): Promise<void> } }
    ).asyncPersistence;
    // Creates the collection's indexes; setup subscribes a broker to subscription changes, not needed here.
    await stock.setup({ id: 'bench', subscribe: (_topic: string, _handler: unknown, done: () => void) => done() });
    const indexed = Object.create(stock) as Parameters<typeof readRetainedThroughIndex>[0];
    readRetainedThroughIndex(indexed, db.collection('mqtt_retained'), MAX_PERMANENT_REPLAY);
    let stored = 0;
    for (const size of sizes) {
      // Written as aedes-persistence-mongodb writes them (storeRetained: the packet's fields), in bulk.
      while (stored < size) {
        const count = Math.min(1000, size - stored);
        const first = stored;
        await db.collection('mqtt_retained').insertMany(Array.from({ length: count }, (_, i) => stateValue(first + i)));
        stored += count;
      }
      rows.push(
        storeRow(`FerretDB on ${backend}`, size, await msPerRead(stock, seconds), await msPerRead(indexed as RetainedReads, seconds)),
      );
    }
    return rows;
  });
}

export const RETAINED_TABLE_HEADER = [
  "| store | stored values | aedes as shipped: SUBSCRIBE to commands (none stored), ms | its state (1 stored), ms | every device's state, ms | iotcore: commands, ms | state, ms | every device's state (1,000 sent), ms |",
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
