// Permanent-topic values on MongoDB (persistence/mongo-retained.ts): a SUBSCRIBE gets the values
// aedes-persistence-mongodb would send, asked for with a query the `topic` index serves (the exact
// topic, or an anchored prefix) instead of an unanchored expression that reads the collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import mongoPersistence from 'aedes-persistence-mongodb';
import { readRetainedThroughIndex, retainedFinds, retainedQuery } from '../../../services/edge/persistence/mongo-retained.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { permanentValue, sent, type RetainedStore } from './permanent-values.js';

interface StockStore extends RetainedStore {
  setup(broker: object): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<unknown>;
}

test('each filter becomes its exact topic, or the literal levels before its first wildcard', () => {
  assert.deepEqual(retainedFinds(retainedQuery(['$devices/d1/commands', '$devices/d1/config', 'a.b/#'])), [
    { topic: '$devices/d1/commands' },
    { topic: '$devices/d1/config' },
    { $or: [{ topic: { $regex: '^a\\.b' } }] },
  ]);
  assert.deepEqual(retainedFinds(retainedQuery(['$devices/d1/commands', '#'])), [{}]);
  assert.deepEqual(retainedQuery(['$devices/d1/commands', '$devices/d1/state/#', '$registries/+/state', 'a/b/+/c']), {
    exact: ['$devices/d1/commands'],
    prefixes: ['$devices/d1/state', '$registries/', 'a/b/'],
    all: false,
  });
  assert.deepEqual(retainedQuery(['#']), { exact: [], prefixes: [], all: true });
  assert.deepEqual(retainedQuery(['+/state', 'x']), { exact: ['x'], prefixes: [], all: true });
});

test('a SUBSCRIBE gets the values aedes-persistence-mongodb sends, through the topic index', async (t) => {
  const client = await MongoClient.connect(await mongoUrl(), { monitorCommands: true });
  t.after(() => client.close());
  const db = client.db(uniqueDbName('retained'));
  const stock = (mongoPersistence({ db, collectionPrefix: 'mqtt_' }) as { asyncPersistence: StockStore }).asyncPersistence;
  // No broker is needed for what this test asks, but setup subscribes one to subscription changes.
  await stock.setup({ id: 'test', subscribe: (_topic: string, _handler: unknown, done: () => void) => done() });
  // Topics with characters a regular expression would read as operators, and a topic that only
  // an unanchored expression would find for "$devices/d1/#".
  const topics = [
    '$devices/d1/state',
    '$devices/d1',
    '$devices/d1/state/x',
    '$devices/d10/state',
    '$devices/d2/state',
    'a.b/(x)',
    'axb/(x)',
    'z/$devices/d1/state',
  ];
  for (const [i, topic] of topics.entries()) await stock.storeRetained(permanentValue(topic, `v${i}`, i % 2));

  const ours = Object.create(stock) as StockStore;
  readRetainedThroughIndex(ours, db.collection('mqtt_retained'));
  for (const filter of ['$devices/d1/state', '$devices/d1/#', '$devices/+/state', 'a.b/+', 'a.b/(x)', '#', '+/+', '$devices/d9/state']) {
    assert.deepEqual(await sent(ours, [filter]), await sent(stock, [filter]), filter);
  }
  assert.deepEqual(await sent(ours, ['$devices/d1/#', '$devices/+/state']), [
    '$devices/d1/state/x=v2@0',
    '$devices/d1/state=v0@0',
    '$devices/d10/state=v3@1',
    '$devices/d1=v1@1',
    '$devices/d2/state=v4@0',
  ]);

  const finds: CommandStartedEvent[] = [];
  const record = (event: CommandStartedEvent) => event.commandName === 'find' && finds.push(event);
  client.on('commandStarted', record);
  await sent(ours, ['$devices/d1/commands', '$devices/d1/state/#']);
  client.off('commandStarted', record);
  assert.deepEqual(
    finds.map((find) => find.command.filter),
    [{ topic: '$devices/d1/commands' }, { $or: [{ topic: { $regex: '^\\$devices\\/d1\\/state' } }] }],
  );
});
