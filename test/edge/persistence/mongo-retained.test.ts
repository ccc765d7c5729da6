// Permanent-topic values on MongoDB (persistence/mongo-retained.ts): a SUBSCRIBE gets the values
// aedes-persistence-mongodb would send, asked for with a query the `topic` index serves (the exact
// topic, or an anchored prefix) instead of an unanchored expression that reads the collection, and
// stops reading once each filter has as many values as can be sent for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import mongoPersistence from 'aedes-persistence-mongodb';
import { readRetainedThroughIndex, retainedFinds } from '../../../services/edge/persistence/mongo-retained.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { UNLIMITED, assertEachFilterFilled, permanentValue, sent, type RetainedStore } from './permanent-values.js';

interface StockStore extends RetainedStore {
  setup(broker: object): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<unknown>;
}

test('each filter becomes its exact topic, or the literal levels before its first wildcard', () => {
  assert.deepEqual(retainedFinds(['a.b/#', '$devices/d1/commands', '$registries/+/state', '$devices/d1/config']), [
    { query: { topic: '$devices/d1/commands' }, filters: ['$devices/d1/commands'] },
    { query: { topic: '$devices/d1/config' }, filters: ['$devices/d1/config'] },
    { query: { topic: { $regex: '^a\\.b' } }, filters: ['a.b/#'] },
    { query: { topic: { $regex: '^\\$registries\\/' } }, filters: ['$registries/+/state'] },
  ]);
  assert.deepEqual(retainedFinds(['$devices/d1/commands', '+/state']), [{ query: {}, filters: ['$devices/d1/commands', '+/state'] }]);
  assert.deepEqual(retainedFinds(['#']), [{ query: {}, filters: ['#'] }]);
});

async function stockStore(t: { after(fn: () => Promise<void>): void }) {
  const client = await MongoClient.connect(await mongoUrl(), { monitorCommands: true });
  t.after(() => client.close());
  const db = client.db(uniqueDbName('retained'));
  const stock = (mongoPersistence({ db, collectionPrefix: 'mqtt_' }) as { asyncPersistence: StockStore }).asyncPersistence;
  // No broker is needed for what these tests ask, but setup subscribes one to subscription changes.
  await stock.setup({ id: 'test', subscribe: (_topic: string, _handler: unknown, done: () => void) => done() });
  return { client, db, stock };
}

/** The `find` and `getMore` commands the client sends while `read` runs. */
async function commandsDuring(client: MongoClient, read: () => Promise<unknown>): Promise<CommandStartedEvent[]> {
  const commands: CommandStartedEvent[] = [];
  const record = (event: CommandStartedEvent) => (event.commandName === 'find' || event.commandName === 'getMore') && commands.push(event);
  client.on('commandStarted', record);
  try {
    await read();
  } finally {
    client.off('commandStarted', record);
  }
  return commands;
}

test('a SUBSCRIBE gets the values aedes-persistence-mongodb sends, through the topic index', async (t) => {
  const { client, db, stock } = await stockStore(t);
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
  readRetainedThroughIndex(ours, db.collection('mqtt_retained'), UNLIMITED);
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

  const finds = await commandsDuring(client, () => sent(ours, ['$devices/d1/commands', '$devices/d1/state/#']));
  assert.deepEqual(
    finds.map((find) => find.command.filter),
    [{ topic: '$devices/d1/commands' }, { topic: { $regex: '^\\$devices\\/d1\\/state' } }],
  );
});

test('a filter reads at most its limit of values, each filter gets its fill, and the reads stop there', async (t) => {
  const { client, db, stock } = await stockStore(t);
  const topics = Array.from({ length: 300 }, (_, i) => [`$devices/d${i}/state`, `$devices/d${i}/config`]).flat();
  await db.collection('mqtt_retained').insertMany(topics.map((topic) => permanentValue(topic, 'v')));
  const ours = Object.create(stock) as StockStore;
  readRetainedThroughIndex(ours, db.collection('mqtt_retained'), 3);
  // 600 values start with "$devices/": read to the end, a query would need a getMore after its first batch of 101.
  // The second case needs one query: the first one's candidates ("$devices/d5…") include d50–d59,
  // whose states fill the second filter.
  for (const [filters, finds] of [
    [['$devices/+/state'], 1],
    [['$devices/d5/#', '$devices/+/state'], 1],
    [['$devices/#', '$devices/+/config', '$devices/d9/state'], 3],
  ] as const) {
    const commands = await commandsDuring(client, async () =>
      assertEachFilterFilled(await sent(ours, [...filters]), [...filters], topics, 3),
    );
    assert.deepEqual(
      commands.map((command) => command.commandName),
      Array(finds).fill('find'),
      filters.join(' '),
    );
  }
});
