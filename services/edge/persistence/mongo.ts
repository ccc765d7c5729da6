// The cluster edge keeps MQTT state (persistent sessions and their subscriptions, queued and
// in-flight QoS 1 messages, wills, permanent-topic values) in MongoDB, so any edge can resume a
// session another one held. One MongoClient is created here and handed to aedes-persistence-mongodb
// as `db`: its own URL parsing crashes on multi-host connection strings. No TTL options: FerretDB
// refuses TTL indexes, and queued messages must not silently expire anyway.
import { Binary, MongoClient, type Collection, type Document } from 'mongodb';
import mongoPersistence from 'aedes-persistence-mongodb';
import { recordMongoCommands } from '../../common/dependency-metrics.js';
import type { QueuedCounter } from './queue-limit.js';
import { mongoSessionLedger } from './mongo-session-ledger.js';
import type { SessionLedger } from './session-ledger.js';
import { type OutgoingStore, writeMessageIdsAtClose } from './message-ids-at-close.js';
import { readRetainedThroughIndex } from './mongo-retained.js';
import { writeRetainedInBatches } from './mongo-retained-writes.js';
import { writeSubscriptionsInChunks } from './mongo-subscription-writes.js';
import { sweepWillsByOwner } from './mongo-wills.js';
import { MAX_PERMANENT_REPLAY } from '../topics/routes.js';

export interface MongoMqttState {
  persistence: unknown;
  /** Rejects when MongoDB does not answer (readiness). */
  ping(): Promise<void>;
  /** Whether the driver knows a server it can write to now, without asking (CONNECT refusals). */
  writable(): boolean;
  /** Stored permanent-topic values (approximate: the collection's document count). */
  permanentTopics(): Promise<number>;
  queued: QueuedCounter;
  sessions: SessionLedger;
  close(): Promise<void>;
}

const COLLECTION_PREFIX = 'mqtt_';

export async function mongoMqttPersistence(url: string, database: string): Promise<MongoMqttState> {
  // Retries and a short server selection keep a database blip from failing requests outright.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, retryWrites: true, retryReads: true, monitorCommands: true });
  recordMongoCommands(client);
  const writable = writableServerKnown(client);
  await client.connect();
  const db = client.db(database);
  const collection = <T extends Document>(name: string) => db.collection<T>(`${COLLECTION_PREFIX}${name}`);
  // The callback-style wrapper: aedes 1.2 pipes the retained-message stream it returns.
  const persistence = mongoPersistence({ db, collectionPrefix: COLLECTION_PREFIX });
  await sweepWillsByOwner(asyncPersistenceOf(persistence), db, COLLECTION_PREFIX);
  // aedes-persistence-mongodb leaves this collection unindexed too: each SUBSCRIBE, UNSUBSCRIBE and
  // persistent CONNECT scanned it (a CONNECT's read: 13.2 ms next to 50,000 on FerretDB on
  // PostgreSQL, 0.8 ms with this index; loadtest/results/cluster-database.md).
  await collection('subscriptions').createIndex({ clientId: 1, topic: 1 }, { name: 'iotcore_client_topic' });
  writeMessageIdsAtClose(asyncPersistenceOf<OutgoingStore>(persistence), collection('outgoing'));
  writeRetainedInBatches(asyncPersistenceOf(persistence), collection('retained'));
  writeSubscriptionsInChunks(asyncPersistenceOf(persistence));
  readRetainedThroughIndex(asyncPersistenceOf(persistence), collection('retained'), MAX_PERMANENT_REPLAY);
  return {
    persistence,
    ping: async () => {
      await client.db('admin').command({ ping: 1 });
    },
    writable,
    permanentTopics: () => collection('retained').estimatedDocumentCount(),
    queued: queuedCounter(collection('outgoing')),
    sessions: await mongoSessionLedger(db, COLLECTION_PREFIX),
    close: () => client.close(),
  };
}

/**
 * The driver's view of the servers (SDAM: its heartbeats, and any operation failing on a network
 * error, mark a server unknown at once). A CONNECT needs the store (aedes reads and writes the
 * session before CONNACK): while no server is writable it is refused with CONNACK 3 at once, instead
 * of waiting out the driver's 5 s of server selection (and then being closed without a CONNACK
 * whenever the registry could still answer for its credentials).
 */
function writableServerKnown(client: MongoClient): () => boolean {
  let writable = false;
  client.on('topologyDescriptionChanged', ({ newDescription }) => {
    writable = [...newDescription.servers.values()].some((server) => server.isWritable);
  });
  return () => writable;
}

/** The promise-based store inside aedes-persistence-mongodb's callback wrapper, whose methods are replaced here. */
function asyncPersistenceOf<Store>(persistence: unknown): Store {
  const stored = (persistence as { asyncPersistence?: Store }).asyncPersistence;
  if (!stored) throw new Error('aedes-persistence-mongodb no longer exposes asyncPersistence (services/edge/persistence/mongo.ts)');
  return stored;
}

/**
 * Messages and payload bytes queued for a session. `$binarySize` sums the bytes on MongoDB; a server
 * without it (FerretDB v1) gets the exact message count and bytes estimated from the average
 * payload of a sample of 20 of them.
 */
function queuedCounter(outgoing: Collection): QueuedCounter {
  let sumsBytes = true;
  return async (clientId) => {
    if (sumsBytes) {
      try {
        const [totals] = await outgoing
          .aggregate<{ messages: number; bytes: number }>([
            { $match: { clientId } },
            { $group: { _id: null, messages: { $sum: 1 }, bytes: { $sum: { $binarySize: '$packet.payload' } } } },
          ])
          .toArray();
        return { messages: totals?.messages ?? 0, bytes: totals?.bytes ?? 0 };
      } catch {
        sumsBytes = false;
      }
    }
    const messages = await outgoing.countDocuments({ clientId });
    const sample = await outgoing
      .find({ clientId }, { projection: { 'packet.payload': 1 } })
      .limit(20)
      .toArray();
    const sampled = sample.reduce((sum, doc) => sum + payloadLength(doc.packet?.payload), 0);
    return { messages, bytes: sample.length === 0 ? 0 : Math.round((sampled / sample.length) * messages) };
  };
}

function payloadLength(payload: unknown): number {
  if (payload instanceof Binary) return payload.length();
  if (Buffer.isBuffer(payload) || typeof payload === 'string') return Buffer.byteLength(payload);
  return 0;
}
