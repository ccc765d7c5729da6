// The same contract against the MongoDB-compatible server the test infrastructure provides
// (MONGO_URL, a container, or FerretDB built locally), and devices stored by earlier versions.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { runStoreContract } from './store-contract.js';

const client = new MongoClient(await mongoUrl());
await client.connect();
after(() => client.close());

runStoreContract(`MongoDB (${await serverName(client)})`, () => openMongoStore(client, uniqueDbName('registry_contract')));

test('devices stored before the alias lookup fields are found by alias once the store opens', async () => {
  const dbName = uniqueDbName('registry_alias_backfill');
  const registryId = 'arebackfill000000001';
  const device = (id: string, name: string, topic_aliases: Record<string, string>) => ({
    _id: id,
    id,
    registry_id: registryId,
    folder_id: 'f-backfill',
    created_at: new Date(),
    name,
    description: '',
    topic_aliases,
    labels: {},
    monitoring: {},
  });
  // The layouts of earlier versions: without `alias_names` (the oldest) and without `alias_prefix_keys`.
  await client
    .db(dbName)
    .collection('devices')
    .insertMany([
      { ...device('tstbackfill000000001', 'oldest', { 'fleet/a/': '$devices/tstbackfill000000001/events/' }) },
      { ...device('tstbackfill000000002', 'old', { 'fleet/b': '$devices/tstbackfill000000002/events' }), alias_names: ['fleet/b'] },
      { ...device('tstbackfill000000003', 'plain', {}) },
    ] as never[]);
  const store = await openMongoStore(client, dbName);
  const conflicts = async (aliases: string[]) =>
    (await store.findAliasConflicts(registryId, 'tstbackfill000000009', aliases)).map(({ alias }) => alias);
  assert.deepEqual(await conflicts(['fleet/']), ['fleet/a/', 'fleet/b'], 'found through their prefix keys');
  assert.deepEqual(await conflicts(['fleet/b/x']), ['fleet/b'], 'found by its exact alias');
  assert.deepEqual(await conflicts(['fleet/c']), []);
  assert.deepEqual(
    (await store.listAliases(registryId)).map(({ alias }) => alias),
    ['fleet/a/', 'fleet/b'],
  );
  await client.db(dbName).dropDatabase();
});

test("a device's monitoring times: read back at once, written once per save whatever the reports", async () => {
  const monitored = new MongoClient(await mongoUrl(), { monitorCommands: true });
  await monitored.connect();
  const dbName = uniqueDbName('registry_monitoring');
  const id = 'tstmonitoring0000001';
  try {
    await monitored
      .db(dbName)
      .collection('devices')
      .insertOne({
        _id: id,
        id,
        registry_id: 'r',
        folder_id: 'f',
        created_at: new Date(),
        name: 'd',
        description: '',
        topic_aliases: {},
        labels: {},
        monitoring: {},
      } as never);
    const store = await openMongoStore(monitored, dbName, { monitoringSaveMs: 3_600_000 });
    const updates: unknown[] = [];
    monitored.on(
      'commandStarted',
      (event) => event.commandName === 'update' && event.command.update === 'devices' && updates.push(event.command),
    );
    // As an edge reports a device publishing every second, with its connect time once.
    await store.recordDeviceMonitoring([{ device_id: id, patch: { last_auth_time: new Date(500) } }]);
    for (let second = 1; second <= 5; second++)
      await store.recordDeviceMonitoring([{ device_id: id, patch: { last_pub_activity_time: new Date(second * 1000) } }]);
    const expected = { last_auth_time: new Date(500), last_pub_activity_time: new Date(5000) };
    assert.deepEqual((await store.getDevice(id))?.monitoring, expected, 'read back before any write');
    assert.equal(updates.length, 0);
    await store.close();
    assert.equal(updates.length, 1, 'one write when the store saves');
    const reopened = await openMongoStore(monitored, dbName);
    assert.deepEqual((await reopened.getDevice(id))?.monitoring, expected, 'stored');
    await reopened.close();
  } finally {
    await monitored.db(dbName).dropDatabase();
    await monitored.close();
  }
});

async function serverName(mongo: MongoClient): Promise<string> {
  const info = await mongo.db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info ? 'FerretDB v1.24.2, SQLite backend' : `MongoDB ${String(info.version)}`;
}
