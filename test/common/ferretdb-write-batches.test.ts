// Batched writes that FerretDB v1 on PostgreSQL can finish (common/mongo-write-batches.ts): it
// keeps a pooled connection for each matching update of a command until the command ends, so a
// command of as many as its pool (100 in the tests) never returns. A registry recording a report
// of hundreds of active devices, an edge storing a burst of permanent-topic values, and a persistent
// session subscribing again to hundreds of filters, must finish and store everything.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { Aedes } from 'aedes';
import { openMongoStore } from '../../services/registry/store/mongo.js';
import { mongoMqttPersistence } from '../../services/edge/persistence/mongo.js';
import { startFerretDb } from '../support/servers.js';

const ferretDb = await startFerretDb('postgresql');
const client = await MongoClient.connect(ferretDb.url);
after(async () => {
  await client.close();
  await ferretDb.stop();
});

/** Fails, instead of waiting for ever, when FerretDB does not answer. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const DEVICES = 250;

/** Device `index`'s permanent `state` value, as aedes hands it to the store. */
const stateValue = (index: number, payload: string) => ({
  cmd: 'publish',
  topic: `$devices/d${index}/state`,
  payload: Buffer.from(payload),
  qos: 1,
  retain: true,
});

test("a report of 250 devices' activity is stored", { timeout: 60_000 }, async () => {
  // Written when the store closes, not on its 10 s timer.
  const store = await openMongoStore(client, 'write_batches_registry', { monitoringSaveMs: 3_600_000 });
  const at = new Date();
  await client
    .db('write_batches_registry')
    .collection('devices')
    .insertMany(
      Array.from({ length: DEVICES }, (_, index) => ({
        _id: `dev${index}`,
        registry_id: 'r',
        folder_id: 'f',
        name: `d${index}`,
        created_at: at,
        monitoring: {},
      })) as never,
    );
  const seen = new Date('2026-12-07T10:00:00Z');
  await store.recordDeviceMonitoring(
    Array.from({ length: DEVICES }, (_, index) => ({ device_id: `dev${index}`, patch: { last_pub_activity_time: seen } })),
  );
  await within(20_000, 'writing the report', store.close());
  assert.equal(
    await client.db('write_batches_registry').collection('devices').countDocuments({ 'monitoring.last_pub_activity_time': seen }),
    DEVICES,
  );
});

test('a burst of 250 permanent-topic values, and a clearing one, is stored', { timeout: 60_000 }, async () => {
  const state = await mongoMqttPersistence(ferretDb.url, 'write_batches_edge');
  try {
    const store = (state.persistence as { asyncPersistence: { storeRetained(packet: object): Promise<void> } }).asyncPersistence;
    await within(
      20_000,
      'storeRetained',
      Promise.all([
        ...Array.from({ length: DEVICES }, (_, index) => store.storeRetained(stateValue(index, `{"n":${index}}`))),
        // Queued after the first value of d0: applied in order, so d0 ends up cleared.
        store.storeRetained(stateValue(0, '')),
      ]),
    );
    const retained = client.db('write_batches_edge').collection('mqtt_retained');
    assert.equal(await retained.countDocuments({}), DEVICES - 1);
    assert.equal(await retained.countDocuments({ topic: '$devices/d0/state' }), 0);
    const stored = await retained.findOne({ topic: '$devices/d7/state' });
    assert.equal(Buffer.from(stored?.payload.buffer ?? stored?.payload).toString(), '{"n":7}');
  } finally {
    await state.close();
  }
});

test('a permanent-topic value the database refuses fails its publish, with the rest of its command', { timeout: 60_000 }, async () => {
  const state = await mongoMqttPersistence(ferretDb.url, 'write_batches_refused');
  try {
    const store = (state.persistence as { asyncPersistence: { storeRetained(packet: object): Promise<void> } }).asyncPersistence;
    // A real refusal by the server: two topics may not hold the same value.
    await client.db('write_batches_refused').collection('mqtt_retained').createIndex({ payload: 1 }, { unique: true });
    // The first value goes alone; the next three are queued while it is written and go in one command.
    const outcomes = await within(
      20_000,
      'storeRetained',
      Promise.allSettled(['a', 'b', 'a', 'c'].map((payload, index) => store.storeRetained(stateValue(index, payload)))),
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'rejected', 'rejected'],
    );
    const retained = client.db('write_batches_refused').collection('mqtt_retained');
    assert.equal(await retained.countDocuments({ topic: '$devices/d0/state' }), 1);
    assert.equal(await retained.countDocuments({ topic: '$devices/d2/state' }), 0, 'the refused value is not stored');
  } finally {
    await state.close();
  }
});

test('a persistent session subscribing again to 250 filters in one SUBSCRIBE is stored', { timeout: 60_000 }, async () => {
  const state = await mongoMqttPersistence(ferretDb.url, 'write_batches_subscriptions');
  const broker = await Aedes.createBroker({ persistence: state.persistence as never });
  try {
    const store = (state.persistence as { asyncPersistence: SubscriptionStore }).asyncPersistence;
    const backend = { id: 'backend' };
    const subscribe = (qos: number) =>
      store.addSubscriptions(
        backend,
        Array.from({ length: DEVICES }, (_, index) => ({ topic: `$devices/d${index}/events`, qos })),
      );
    // The first SUBSCRIBE inserts; the second, as after a reconnect, updates every one of them.
    await within(20_000, 'subscribing', subscribe(0));
    await within(20_000, 'subscribing again', subscribe(1));
    const stored = client.db('write_batches_subscriptions').collection('mqtt_subscriptions');
    assert.equal(await stored.countDocuments({ clientId: 'backend', qos: 1 }), DEVICES);
    // Every filter was also announced to the broker's matcher, the last one included.
    assert.deepEqual(
      (await store.subscriptionsByTopic(`$devices/d${DEVICES - 1}/events`)).map(({ clientId, qos }) => ({ clientId, qos })),
      [{ clientId: 'backend', qos: 1 }],
    );
  } finally {
    await new Promise<void>((closed) => broker.close(() => closed()));
    await state.close();
  }
});

interface SubscriptionStore {
  addSubscriptions(client: { id: string }, subscriptions: Array<{ topic: string; qos: number }>): Promise<void>;
  subscriptionsByTopic(topic: string): Promise<Array<{ clientId: string; qos: number }>>;
}
