// `npm run bench:database`: the cluster database of the tests and benchmarks (FerretDB v1 on SQLite
// or on PostgreSQL) under the work a persistent QoS 1 message gives it. Prints Markdown tables;
// loadtest/results/cluster-database.md keeps a run and how to read it.
//   queue:      the outgoing-queue operations aedes-persistence-mongodb makes per message
//               (asyncPersistence.js), one at a time, next to N queued messages of other sessions;
//   cross-edge: a device on edge 0 streams QoS 1 to a persistent subscriber on edge 1 (the database
//               on every message), and to a clean one (no database) for reference;
//   retained:   one SUBSCRIBE's read of permanent-topic values next to N stored ones, aedes' stores
//               as shipped against iotcore's reads, on LevelDB and on each backend (retained.ts);
//   wills:      aedes' sweep for dead edges' wills, a will stored and deleted, and a persistent
//               CONNECT's subscriptions, next to N stored wills and subscriptions (wills.ts).
import os from 'node:os';
import { MongoClient, type Collection, type Document } from 'mongodb';
import mqtt from 'mqtt';
import { startFerretDb, type FerretDbBackend } from '../../test/support/servers.js';
import { startCluster } from '../../test/cluster/harness.js';
import { integerOption, listOption, parseCommandLine, UsageError } from '../command-line.js';
import { RETAINED_TABLE_HEADER, retainedOnFerretDb, retainedOnLevelDb } from './retained.js';
import { WILLS_TABLE_HEADER, willsOnFerretDb, willsOnLevelDb } from './wills.js';

const BACKENDS = ['sqlite', 'postgresql'] as const;

const USAGE = `usage: npm run bench:database -- [options]
  --only LIST               what to measure: queue, cross-edge, retained, wills (all)
  --backends LIST           sqlite,postgresql (both)
  --sizes LIST              messages of other sessions in the queue collection, stored values in retained,
                            stored wills and subscriptions in wills (10,5000,50000)
  --seconds S               per size and backend in queue; measured part of each cross-edge run; per cell in retained and wills (5)
  --window N                QoS 1 publishes in flight in cross-edge (64)
  -h, --help                this text`;

const { parts, backends, sizes, seconds, window } = parseCommandLine(
  {
    options: {
      only: { type: 'string' },
      backends: { type: 'string' },
      sizes: { type: 'string' },
      seconds: { type: 'string' },
      window: { type: 'string' },
    },
    allowPositionals: true,
  },
  USAGE,
  ({ values: args, positionals }) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    return {
      parts: listOption('--only', args.only ?? 'queue,cross-edge,retained,wills', ['queue', 'cross-edge', 'retained', 'wills']),
      backends: [...listOption('--backends', args.backends ?? BACKENDS.join(','), BACKENDS)] as FerretDbBackend[],
      sizes: (args.sizes ?? '10,5000,50000').split(',').map((size) => integerOption('--sizes', size, 0)),
      seconds: integerOption('--seconds', args.seconds ?? '5'),
      window: integerOption('--window', args.window ?? '64'),
    };
  },
);

const PAYLOAD = Buffer.alloc(64, 'x');
const BROKER_ID = 'bench-broker';

/** An outgoing-queue document as aedes-persistence-mongodb stores it (outgoingEnqueueCombi). */
function queued(clientId: string, brokerCounter: number): Document {
  return {
    clientId,
    packet: {
      cmd: 'publish',
      brokerId: BROKER_ID,
      brokerCounter,
      topic: '$iot/r/devices/d/events',
      payload: PAYLOAD,
      qos: 1,
      retain: false,
      dup: false,
    },
  };
}

/** Operations per second of each step of a message's life in the queue, one message at a time. */
async function queueWorkload(backend: FerretDbBackend): Promise<string[]> {
  const server = await startFerretDb(backend);
  const client = await MongoClient.connect(server.url);
  const rows: string[] = [];
  try {
    const outgoing = client.db('bench').collection('mqtt_outgoing');
    // aedes-persistence-mongodb's indexes of the outgoing collection.
    await outgoing.createIndex({ clientId: 1, 'packet.brokerId': 1, 'packet.brokerCounter': 1 }, { name: 'query_clientId_brokerId' });
    await outgoing.createIndex({ clientId: 1, 'packet.messageId': 1 }, { name: 'query_clientId_messageId' });
    let filled = 0;
    for (const size of sizes) {
      for (; filled < size; filled += 1000) {
        const batch = Array.from({ length: Math.min(1000, size - filled) }, (_, i) => queued(`other-${(filled + i) % 1000}`, filled + i));
        await outgoing.insertMany(batch);
      }
      rows.push(`| ${backend} | ${size.toLocaleString('en')} | ${(await messageCycles(outgoing, size)).join(' | ')} |`);
      console.log(rows.at(-1));
    }
  } finally {
    await client.close();
    await server.stop();
  }
  return rows;
}

/** Runs insert → update → delete for one message after another for `seconds` (at least 3 messages). */
async function messageCycles(outgoing: Collection, size: number): Promise<string[]> {
  const spent = { insert: 0, update: 0, delete: 0, updateById: 0 };
  const fillerIds =
    size > 0
      ? (
          await outgoing
            .find({}, { projection: { _id: 1 } })
            .limit(1000)
            .toArray()
        ).map((doc) => doc._id)
      : [];
  const timed = async (step: keyof typeof spent, operation: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await operation();
    spent[step] += Number(process.hrtime.bigint() - start) / 1e9;
  };
  const deadline = Date.now() + seconds * 1000;
  let messages = 0;
  for (; messages < 3 || Date.now() < deadline; messages++) {
    const brokerCounter = 1e9 + messages;
    const messageId = (messages % 65535) + 1;
    // outgoingEnqueueCombi, outgoingUpdate (the messageId given at delivery), outgoingClearMessageId (PUBACK).
    await timed('insert', () => outgoing.insertMany([queued('subscriber', brokerCounter)]));
    await timed('update', () =>
      outgoing.updateOne(
        { clientId: 'subscriber', 'packet.brokerCounter': brokerCounter, 'packet.brokerId': BROKER_ID },
        { $set: { 'packet.messageId': messageId } },
      ),
    );
    await timed('delete', () => outgoing.findOneAndDelete({ clientId: 'subscriber', 'packet.messageId': messageId }));
    // An update by _id, as the session ledger makes them (and the figure of issue #14).
    const id = fillerIds[messages % Math.max(1, fillerIds.length)];
    if (id !== undefined) await timed('updateById', () => outgoing.updateOne({ _id: id }, { $set: { 'packet.dup': false } }));
  }
  const perSecond = (total: number) => {
    const rate = messages / total;
    return total > 0 ? rate.toLocaleString('en', { maximumFractionDigits: rate < 10 ? 1 : 0 }) : '–';
  };
  const cycle = spent.insert + spent.update + spent.delete;
  return [perSecond(spent.insert), perSecond(spent.update), perSecond(spent.delete), perSecond(cycle), perSecond(spent.updateById)];
}

const REGISTRY_PASSWORD = 'Bench-Registry-Pass1';
const DEVICE_PASSWORD = 'Bench-Device-Pass1!';

/** Delivered msg/s from a device on edge 0 to a subscriber on edge 1, persistent and clean. */
async function crossEdge(backend: FerretDbBackend): Promise<string[]> {
  const cluster = await startCluster({ edges: 2, database: backend });
  const rows: string[] = [];
  try {
    const registryId = await cluster.api.createRegistry('bench', REGISTRY_PASSWORD);
    const deviceId = await cluster.api.createDevice(registryId, 'streamer', DEVICE_PASSWORD);
    for (const persistent of [true, false]) {
      const rate = await stream(cluster, registryId, deviceId, persistent);
      rows.push(`| ${backend} | ${persistent ? 'persistent' : 'clean'} | ${window} | ${Math.round(rate).toLocaleString('en')} |`);
      console.log(rows.at(-1));
    }
  } finally {
    await cluster.close();
  }
  return rows;
}

async function stream(
  cluster: Awaited<ReturnType<typeof startCluster>>,
  registryId: string,
  deviceId: string,
  persistent: boolean,
): Promise<number> {
  const topic = `$devices/${deviceId}/events`;
  const subscriber = await cluster.connect(1, {
    username: registryId,
    password: REGISTRY_PASSWORD,
    clientId: persistent ? 'persistent-subscriber' : 'clean-subscriber',
    clean: !persistent,
  });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  subscriber.on('message', () => received++);
  // A persistent subscription reaches the other edge over the bus a moment after SUBACK.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const device = await cluster.connect(0, { username: deviceId, password: DEVICE_PASSWORD, clientId: 'streamer' });
  let running = true;
  const publisher = async () => {
    while (running) await device.publishAsync(topic, PAYLOAD, { qos: 1 });
  };
  const publishers = Array.from({ length: window }, publisher);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [from, start] = [received, Date.now()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const rate = ((received - from) * 1000) / (Date.now() - start);
  running = false;
  await Promise.all(publishers);
  await device.endAsync();
  await subscriber.endAsync();
  if (persistent) {
    // Ends the session so that its queue does not weigh on the next run.
    const ending = await mqtt.connectAsync(cluster.url(1), {
      ca: cluster.ca,
      username: registryId,
      password: REGISTRY_PASSWORD,
      clientId: 'persistent-subscriber',
      clean: true,
      reconnectPeriod: 0,
    });
    await ending.endAsync();
  }
  return rate;
}

console.log(`bench:database on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg()[0]!.toFixed(1)}`);
if (parts.has('queue')) {
  const rows: string[] = [];
  for (const backend of backends) rows.push(...(await queueWorkload(backend)));
  console.log(
    [
      '',
      `Queue operations per second, one message at a time, ${seconds} s per size (update by _id: on a message of another session)`,
      '',
      '| backend | messages of other sessions | insert | update by brokerCounter | findOneAndDelete by messageId | whole message | update by _id |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}
if (parts.has('cross-edge')) {
  const rows: string[] = [];
  for (const backend of backends) rows.push(...(await crossEdge(backend)));
  console.log(
    [
      '',
      `Cross-edge QoS 1, device on edge 0 → subscriber on edge 1, ${seconds} s after a 2 s warm-up`,
      '',
      '| backend | subscriber session | publishes in flight | delivered msg/s |',
      '|---|---|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}
if (parts.has('retained')) {
  const rows = await retainedOnLevelDb(sizes, seconds);
  for (const backend of backends) rows.push(...(await retainedOnFerretDb(backend, sizes, seconds)));
  console.log(
    [
      '',
      `One SUBSCRIBE's read of permanent-topic values, every device's state stored, ms per read (${seconds} s per cell, at least 3 reads)`,
      '',
      ...RETAINED_TABLE_HEADER,
      ...rows,
    ].join('\n'),
  );
}
if (parts.has('wills')) {
  const rows = await willsOnLevelDb(sizes, seconds);
  for (const backend of backends) rows.push(...(await willsOnFerretDb(backend, sizes, seconds)));
  console.log(
    [
      '',
      `Wills and subscriptions next to N stored, every will of a live edge, ms per operation (${seconds} s per cell, at least 3)`,
      '',
      ...WILLS_TABLE_HEADER,
      ...rows,
    ].join('\n'),
  );
}
