// The cluster edge keeps MQTT state (persistent sessions and their subscriptions, queued and
// in-flight QoS 1 messages, wills, permanent-topic values) in MongoDB, so any edge can resume a
// session another one held. One MongoClient is created here and handed to aedes-persistence-mongodb
// as `db`: its own URL parsing crashes on multi-host connection strings. No TTL options: FerretDB
// refuses TTL indexes, and queued messages must not silently expire anyway.
import { MongoClient } from 'mongodb';
import mongoPersistence from 'aedes-persistence-mongodb';
import { recordMongoCommands } from '../../common/dependency-metrics.js';

export interface MongoMqttState {
  persistence: unknown;
  /** Rejects when MongoDB does not answer (readiness). */
  ping(): Promise<void>;
  /** Stored permanent-topic values (approximate: the collection's document count). */
  permanentTopics(): Promise<number>;
  close(): Promise<void>;
}

const COLLECTION_PREFIX = 'mqtt_';

export async function mongoMqttPersistence(url: string, database: string): Promise<MongoMqttState> {
  // Retries and a short server selection keep a database blip from failing requests outright.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, retryWrites: true, retryReads: true, monitorCommands: true });
  recordMongoCommands(client);
  await client.connect();
  // The callback-style wrapper: aedes 1.2 pipes the retained-message stream it returns.
  const persistence = mongoPersistence({ db: client.db(database), collectionPrefix: COLLECTION_PREFIX });
  return {
    persistence,
    ping: async () => {
      await client.db('admin').command({ ping: 1 });
    },
    permanentTopics: () => client.db(database).collection(`${COLLECTION_PREFIX}retained`).estimatedDocumentCount(),
    close: () => client.close(),
  };
}
