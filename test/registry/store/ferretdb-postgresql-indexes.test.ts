// FerretDB v1 on PostgreSQL, with deploy/ferretdb/postgresql-lookup-indexes.sql applied (as
// startFerretDb does): the registry store's lookups by equality, and those the edges make in
// their MQTT state for every CONNECT, SUBSCRIBE and disconnect, which FerretDB pushes down to SQL as
// `(_jsonb -> 'field') @> value`, are index scans in PostgreSQL's plan instead of scans of the
// whole table. (FerretDB v1 pushes down neither ranges nor sorts, so a page of a registry's devices
// reads the registry's devices, not the collection.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { mongoMqttPersistence } from '../../../services/edge/persistence/mongo.js';
import { aliasConflictLookups, aliasedDevicesFilter } from '../../../services/registry/store/mongo-devices.js';
import { createIdGenerator } from '../../../services/registry/ids.js';
import { runPsql, startFerretDb } from '../../support/servers.js';

const ferretDb = await startFerretDb('postgresql');
// Whether an index can serve a query, not whether PostgreSQL prefers it on these small tables.
runPsql(ferretDb.postgresUrl!, ['--command', 'ALTER SYSTEM SET enable_seqscan = off', '--command', 'SELECT pg_reload_conf()']);
const client = await MongoClient.connect(ferretDb.url);
after(async () => {
  await client.close();
  await ferretDb.stop();
});

/** PostgreSQL's plan as FerretDB's explain returns it, with its filter pushed down or not. */
interface FerretExplain {
  queryPlanner: { Plan: Document };
  filterPushdown: boolean;
}

function nodeTypes(plan: Document): string[] {
  return [plan['Node Type'] as string, ...((plan.Plans as Document[] | undefined) ?? []).flatMap(nodeTypes)];
}

test('lookups of the MongoDB store on FerretDB over PostgreSQL are index scans', async () => {
  const store = await openMongoStore(client, 'registry_indexes');
  const newId = createIdGenerator('tst');
  const at = new Date();
  const registryIds = [newId(), newId()];
  for (const [index, id] of registryIds.entries())
    await store.createRegistry(
      { id, folder_id: 'f-explain', created_at: at, name: `r${index}`, description: '', labels: {}, status: 'ACTIVE' },
      { passwords: [], certificates: [] },
    );
  const deviceIds: string[] = [];
  for (let index = 0; index < 300; index++) {
    const id = newId();
    deviceIds.push(id);
    await store.createDevice(
      {
        id,
        registry_id: registryIds[index % 2]!,
        created_at: at,
        name: `d${index}`,
        description: '',
        topic_aliases: index % 10 === 0 ? { [`fleet/${index}/`]: `$devices/${id}/events/` } : {},
        labels: {},
        monitoring: {},
      },
      { passwords: [], certificates: [] },
    );
  }
  const db = client.db('registry_indexes');
  const lookups: Array<[string, string, Document]> = [
    ['device by ID', 'devices', { _id: deviceIds[7] }],
    ['device by name', 'devices', { registry_id: registryIds[1], name: 'd7' }],
    ["a registry's devices", 'devices', { registry_id: registryIds[0] }],
    ["a device's passwords", 'passwords', { owner_kind: 'device', owner_id: deviceIds[7] }],
    ["a device's certificates", 'certificates', { owner_kind: 'device', owner_id: deviceIds[7] }],
    ['registry by ID', 'registries', { _id: registryIds[0] }],
    ["a registry's aliases", 'devices', aliasedDevicesFilter(registryIds[0]!)],
    ...aliasConflictLookups(registryIds[0]!, ['fleet/40/x', 'fleet/7']).map((filter, index): [string, string, Document] => [
      `alias conflict lookup ${index}`,
      'devices',
      filter,
    ]),
  ];
  await assertIndexScans(db, lookups);
});

async function assertIndexScans(db: Db, lookups: Array<[string, string, Document]>): Promise<void> {
  for (const [name, collection, filter] of lookups) {
    const explained = (await db.collection(collection).find(filter).explain()) as unknown as FerretExplain;
    const nodes = nodeTypes(explained.queryPlanner.Plan);
    assert.ok(explained.filterPushdown, `${name}: filter not pushed down to SQL`);
    assert.ok(!nodes.includes('Seq Scan') && nodes.some((node) => node.includes('Index')), `${name}: ${nodes.join(' > ')}`);
  }
}

test("an edge's lookups of wills and subscriptions by client on FerretDB over PostgreSQL are index scans", async () => {
  const state = await mongoMqttPersistence(ferretDb.url, 'mqtt_indexes');
  try {
    const db = client.db('mqtt_indexes');
    // As aedes-persistence-mongodb stores them (putWill, addSubscriptions).
    await db.collection('mqtt_will').insertMany(
      Array.from({ length: 50 }, (_, index) => ({
        clientId: `c${index}`,
        packet: { brokerId: 'edge', clientId: `c${index}`, topic: 't' },
      })),
    );
    await db
      .collection('mqtt_subscriptions')
      .insertMany(Array.from({ length: 50 }, (_, index) => ({ clientId: `c${index}`, topic: 't', qos: 1 })));
    await assertIndexScans(db, [
      ["a disconnect's will delete", 'mqtt_will', { clientId: 'c7', 'packet.brokerId': 'edge' }],
      ["aedes' will read", 'mqtt_will', { clientId: 'c7' }],
      ['a SUBSCRIBE or UNSUBSCRIBE', 'mqtt_subscriptions', { clientId: 'c7', topic: 't' }],
      ["a persistent session's subscriptions", 'mqtt_subscriptions', { clientId: 'c7' }],
    ]);
  } finally {
    await state.close();
  }
});
