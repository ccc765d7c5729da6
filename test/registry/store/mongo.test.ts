// The same contract against the MongoDB-compatible server the test infrastructure provides
// (MONGO_URL, a container, or FerretDB built locally).
import { after } from 'node:test';
import { MongoClient } from 'mongodb';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { runStoreContract } from './store-contract.js';

const client = new MongoClient(await mongoUrl());
await client.connect();
after(() => client.close());

runStoreContract(`MongoDB (${await serverName(client)})`, () => openMongoStore(client, uniqueDbName('registry_contract')));

async function serverName(mongo: MongoClient): Promise<string> {
  const info = await mongo.db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info ? 'FerretDB v1.24.2, SQLite backend' : `MongoDB ${String(info.version)}`;
}
