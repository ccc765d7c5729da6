// Every query the MongoDB store makes for a device create, update, get, list or auth lookup is
// answered from an index: explain() on a real MongoDB shows no collection scan and no more
// documents examined than returned. FerretDB's SQLite backend has no query planner (its explain
// shows a table scan for every query, indexes serve only uniqueness), so there the check is skipped
// with that reason; set MONGO_URL to a MongoDB to run it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type Document } from 'mongodb';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { aliasConflictLookups, aliasedDevicesFilter } from '../../../services/registry/store/mongo-devices.js';
import { createIdGenerator } from '../../../services/registry/ids.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

const client = new MongoClient(await mongoUrl());
await client.connect();
after(() => client.close());
const isFerretDb = 'ferretdbVersion' in (await client.db('admin').command({ buildInfo: 1 }));

test('device queries of the MongoDB store are served by indexes', {
  skip: isFerretDb && "FerretDB's SQLite backend has no query planner to explain",
}, async () => {
  const dbName = uniqueDbName('registry_indexes');
  const store = await openMongoStore(client, dbName);
  const newId = createIdGenerator('tst');
  const at = new Date();
  const registryId = newId();
  await store.createRegistry(
    { id: registryId, folder_id: 'f-explain', created_at: at, name: 'r', description: '', labels: {}, status: 'ACTIVE' },
    { passwords: [], certificates: [] },
  );
  const ids: string[] = [];
  for (let index = 0; index < 500; index++) {
    const id = newId();
    ids.push(id);
    const topic_aliases = index % 10 === 0 ? { [`fleet/${index}/`]: `$devices/${id}/events/` } : {};
    await store.createDevice(
      { id, registry_id: registryId, created_at: at, name: `d${index}`, description: '', topic_aliases, labels: {}, monitoring: {} },
      { passwords: [], certificates: [] },
    );
  }
  const devices = client.db(dbName).collection('devices');
  const sortedIds = [...ids].sort();
  const queries: Array<[string, Document, Document | undefined, number | undefined]> = [
    ['get by id', { _id: ids[7] }, undefined, undefined],
    ['get by name', { registry_id: registryId, name: 'd7' }, undefined, undefined],
    ['registry page', { registry_id: registryId, _id: { $gt: sortedIds[100] } }, { _id: 1 }, 21],
    ['folder page', { folder_id: 'f-explain', _id: { $gt: sortedIds[100] } }, { _id: 1 }, 21],
    ...aliasConflictLookups(registryId, ['fleet/40/x', 'fleet/7']).map((filter, index): [string, Document, undefined, undefined] => [
      `alias conflict lookup ${index}`,
      filter,
      undefined,
      undefined,
    ]),
    ['aliases of the registry', aliasedDevicesFilter(registryId), undefined, undefined],
  ];
  for (const [name, filter, sort, limit] of queries) {
    let cursor = devices.find(filter);
    if (sort) cursor = cursor.sort(sort);
    if (limit) cursor = cursor.limit(limit);
    const explained = await cursor.explain('executionStats');
    const plan = JSON.stringify(explained.queryPlanner.winningPlan);
    assert.ok(!plan.includes('COLLSCAN'), `${name}: ${plan}`);
    const stats = explained.executionStats as { nReturned: number; totalDocsExamined: number };
    assert.ok(
      stats.totalDocsExamined <= stats.nReturned + 1,
      `${name}: examined ${stats.totalDocsExamined} documents for ${stats.nReturned}`,
    );
  }
  await client.db(dbName).dropDatabase();
});
