// Chooses the registry store: MongoDB when a URL is configured (clusters), else the embedded store.
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { RegistryStore } from './contract.js';
import { openEmbeddedStore } from './embedded.js';
import { openMongoStore } from './mongo.js';
import { recordMongoCommands } from '../../common/dependency-metrics.js';

export async function openStore(config: { mongoUrl?: string; mongoDb: string; dataDir: string }): Promise<RegistryStore> {
  if (!config.mongoUrl) return openEmbeddedStore(path.join(config.dataDir, 'registry'));
  const client = new MongoClient(config.mongoUrl, { serverSelectionTimeoutMS: 10_000, monitorCommands: true });
  recordMongoCommands(client);
  await client.connect();
  return openMongoStore(client, config.mongoDb, { ownsClient: true });
}
