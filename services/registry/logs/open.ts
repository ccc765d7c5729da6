// Chooses the connection-log store as the registry store is chosen: MongoDB when a URL is configured, else LevelDB.
// MongoDB gets a client of its own, so a burst of log writes never queues auth reads behind it in one pool.
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { recordMongoCommands } from '../../common/dependency-metrics.js';
import { openEmbeddedLogStore } from './embedded-log-store.js';
import { openMongoLogStore } from './mongo-log-store.js';
import type { ConnectionLogStore, LogRetention } from './log-store.js';

export async function openLogStore(
  config: { mongoUrl?: string; mongoDb: string; dataDir: string },
  retention: LogRetention,
  onTtlUnsupported: (error: unknown) => void,
): Promise<ConnectionLogStore> {
  if (!config.mongoUrl) return openEmbeddedLogStore(path.join(config.dataDir, 'logs'));
  const client = new MongoClient(config.mongoUrl, { serverSelectionTimeoutMS: 10_000, monitorCommands: true });
  recordMongoCommands(client);
  await client.connect();
  return openMongoLogStore(client.db(config.mongoDb), retention, onTtlUnsupported, () => client.close());
}
