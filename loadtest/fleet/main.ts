// Fleet-scale benchmark of the management plane (`npm run bench:fleet`, options in USAGE below):
// creates per second for each block of devices in one registry, ListDevices pages of 20,000,
// GetDevice latency (and on the MongoDB store, the database's own time for as many documents and
// for one by ID: the floors under both), registry memory per device, and `iotcore import yandex`
// of a generated yc dump. Prints figures; asserts nothing (the tests assert behaviour,
// test/registry/store/reads-per-create.test.ts the scan-free creates).
// On the embedded store the registry is the all-in-one `iotcore serve` (registry and MQTT edge in
// one process, as a single node runs) and, at 1,000 devices and again at --devices, a sample of
// --connect-sample password devices is created and connected over TLS, first-time and again,
// --connect-concurrency at a time, once the registry is idle (the reconnect round
// --reconnect-rounds times, the median taken): CONNECT/s at both sizes and their ratio.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Metadata, credentials } from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { promiseClient, type PromiseClient } from '../../services/common/grpc-client.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { createdId } from '../../test/registry/api/harness.js';
import { startFerretDb, uniqueDbName } from '../../test/support/servers.js';
import { CLI } from '../../test/support/serve-process.js';
import { startRegistryProcess, type RegistryProcess } from './registry-process.js';
import { writeYcDump } from './yc-dump.js';
import { measureConnects, type ConnectRates } from './connect-rates.js';
import { choiceOption, integerOption, parseCommandLine } from '../command-line.js';

const USAGE = `usage: npm run bench:fleet -- [options]
  --store embedded|mongo     the registry's store (embedded); mongo: MONGO_URL, else a FerretDB of its own
  --database postgresql|sqlite   that FerretDB's backend (postgresql)
  --devices N                devices created in one registry (100000)
  --block N                  devices per creates/s figure (10000)
  --concurrency N            creates in flight (32)
  --alias-every N            an alias on every Nth device (10)
  --import-devices N         devices in the yc dump imported afterwards; 0 skips (100000)
  --minutes M                stop creating when the run takes longer (30)
  --connect-sample N         password devices connected at 1,000 devices and at --devices; 0 skips (200)
  --connect-concurrency N    CONNECTs in flight (16)
  --reconnect-rounds N       reconnect rounds, the median taken (5)
  --out DIR                  where fleet-<store>.md goes (loadtest/results)`;

const settings = parseCommandLine(
  {
    options: {
      store: { type: 'string', default: 'embedded' },
      database: { type: 'string', default: 'postgresql' },
      devices: { type: 'string', default: '100000' },
      block: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '32' },
      'alias-every': { type: 'string', default: '10' },
      'import-devices': { type: 'string', default: '100000' },
      minutes: { type: 'string', default: '30' },
      'connect-sample': { type: 'string', default: '200' },
      'connect-concurrency': { type: 'string', default: '16' },
      'reconnect-rounds': { type: 'string', default: '5' },
      out: { type: 'string', default: 'loadtest/results' },
    },
  },
  USAGE,
  ({ values }) => ({
    store: choiceOption('--store', values.store, ['embedded', 'mongo'] as const),
    database: choiceOption('--database', values.database, ['postgresql', 'sqlite'] as const),
    total: integerOption('--devices', values.devices),
    block: integerOption('--block', values.block),
    concurrency: integerOption('--concurrency', values.concurrency),
    aliasEvery: integerOption('--alias-every', values['alias-every']),
    importDevices: integerOption('--import-devices', values['import-devices'], 0),
    minutes: integerOption('--minutes', values.minutes),
    connectSample: integerOption('--connect-sample', values['connect-sample'], 0),
    connectConcurrency: integerOption('--connect-concurrency', values['connect-concurrency']),
    reconnectRounds: integerOption('--reconnect-rounds', values['reconnect-rounds']),
    out: values.out,
  }),
);
const { store, database, total, block, concurrency, aliasEvery, importDevices, connectConcurrency, reconnectRounds } = settings;
const deadline = Date.now() + settings.minutes * 60_000;
const connectSample = store === 'embedded' ? settings.connectSample : 0;
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};

/** Stops the run's own FerretDB (and the PostgreSQL under it), once. */
let stopDatabase: () => Promise<void> = async () => undefined;
// Ctrl-C or SIGTERM still stops the database and runs the exit handlers that stop the registry.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopDatabase().finally(() => process.exit(130)));
const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-fleet-'));
try {
  const server = store === 'mongo' ? await mongoServer() : undefined;
  const mongoDb = uniqueDbName('fleet');
  const mongo = server ? { mongoUrl: server.url, mongoDb } : {};
  say(`# Fleet benchmark: ${server ? `MongoDB store (${server.label})` : 'embedded store (LevelDB)'}`);
  say(
    `${os.cpus().length} cores, ${new Date().toISOString()}, ${concurrency} creates in flight, an alias on every ${aliasEvery}th device, no passwords${connectSample > 0 ? ` (but the ${connectSample} CONNECT sample devices at each size)` : ''}`,
  );
  await createsAndReads(await startRegistryProcess({ dataDir: path.join(work, 'creates'), ...mongo, mqtt: connectSample > 0 }));
  if (server) await databaseFloor(server.url, mongoDb);
  if (importDevices > 0)
    await importDump(
      await startRegistryProcess({
        dataDir: path.join(work, 'import'),
        ...(store === 'mongo' ? { mongoUrl: mongo.mongoUrl, mongoDb: uniqueDbName('fleet_import') } : {}),
      }),
    );
  await mkdir(settings.out, { recursive: true });
  await writeFile(path.join(settings.out, `fleet-${server?.name ?? store}.md`), `${lines.join('\n')}\n`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
  await stopDatabase();
  process.exit();
}

/** MONGO_URL when set, else a FerretDB of the run's own on --database. */
async function mongoServer(): Promise<{ url: string; label: string; name: string }> {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, label: 'MONGO_URL', name: 'mongo' };
  const ferretDb = await startFerretDb(database);
  let stopping: Promise<void> | undefined;
  stopDatabase = () => (stopping ??= ferretDb.stop());
  const backend = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  return { url: ferretDb.url, label: `test FerretDB v1.24.2, ${backend} backend`, name: `mongo-${database}` };
}

/**
 * What the database alone takes to hand over a page's worth of device documents, with no filter and
 * no sort (the cheapest read there is: a limit the server can apply itself), and one device by ID:
 * the floors under any ListDevices page and any GetDevice the MongoDB store could make.
 */
async function databaseFloor(url: string, dbName: string): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    const started = performance.now();
    const collection = client.db(dbName).collection<{ _id: string }>('devices');
    const read = await collection.find({}).limit(20_000).toArray();
    say(
      `the database's own floor: ${read.length} device documents read straight from it, no filter, no sort: ${(performance.now() - started).toFixed(0)} ms`,
    );
    const latencies = await sequentialLatencies(
      read.map((document) => document._id),
      (id) => collection.findOne({ _id: id }),
    );
    say(`the database's own floor: one device document by ID (2,000 sequential, random IDs): ${latencies}`);
  } finally {
    await client.close();
  }
}

/** p50, p99 and max of 2,000 sequential calls of `read`, each on an ID picked at random. */
async function sequentialLatencies(ids: string[], read: (id: string) => Promise<unknown>): Promise<string> {
  const latencies: number[] = [];
  for (let sample = 0; sample < 2000; sample++) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const started = performance.now();
    await read(id);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

async function createsAndReads(registry: RegistryProcess): Promise<void> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${registry.token}`);
  const channel = credentials.createSsl(await readFile(registry.caFile));
  const registries = promiseClient(new RegistryServiceClient(registry.endpoint, channel), metadata, 120_000);
  const devices = promiseClient(new DeviceServiceClient(registry.endpoint, channel), metadata, 120_000);
  try {
    const registryId = createdId(
      await registries.create({
        folder_id: 'fleet',
        name: 'fleet',
        description: '',
        labels: {},
        certificates: [],
        password: '',
        log_options: undefined,
      }),
      Registry,
    );
    const rssBefore = await registry.rss();
    say('\n| devices | creates/s in this block | registry RSS |\n|---|---|---|');
    let created = 0;
    let firstRate = 0;
    let lastRate = 0;
    // Sizes at which CONNECT rates are measured; a block is cut short at the first.
    const connectAt = connectSample > 0 ? [...new Set([Math.min(1000, total), total])] : [];
    const connectRates: Array<{ devices: number; rates: ConnectRates; settledSeconds: number }> = [];
    let sampleDevices = 0;
    const measureConnectsNow = async () => {
      const sample = await createPasswordDevices(devices, registryId, `connect-${created}`, connectSample);
      sampleDevices += sample.length;
      const settledSeconds = await registry.settle();
      const rates = await measureConnects({
        port: registry.mqttPort!,
        ca: await readFile(registry.caFile),
        devices: sample,
        concurrency: connectConcurrency,
        reconnectRounds,
      });
      connectRates.push({ devices: created + sampleDevices, rates, settledSeconds });
    };
    while (created < total && Date.now() < deadline) {
      const end = Math.min(created + block, total, connectAt.find((at) => at > created) ?? total);
      const started = performance.now();
      let next = created;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < end && Date.now() < deadline) {
            const index = next++;
            const topic_aliases = index % aliasEvery === 0 ? { [`fleet/${index}/`]: '$devices/{id}/events/' } : {};
            await devices.create({
              registry_id: registryId,
              name: `device-${index}`,
              description: '',
              labels: {},
              certificates: [],
              topic_aliases,
              password: '',
            });
          }
        }),
      );
      const done = next - created;
      lastRate = done / ((performance.now() - started) / 1000);
      // A block cut short for the CONNECT sample is not the first of the comparison.
      if (done === block || end === total) firstRate ||= lastRate;
      created = next;
      say(
        `| ${created - done + 1}–${created}${done < end - (created - done) ? ' (stopped at the time limit)' : ''} | ${lastRate.toFixed(0)} | ${mib(await registry.rss())} |`,
      );
      if (connectAt.includes(created)) await measureConnectsNow();
    }
    say(`\nlast block / first block: ${(lastRate / firstRate).toFixed(2)}`);
    if (connectRates.length > 0) reportConnects(connectRates);
    const rssAfter = await registry.rss();
    say(
      `registry RSS: ${mib(rssBefore)} before the devices, ${mib(rssAfter)} after ${created}: ${((rssAfter - rssBefore) / created).toFixed(0)} bytes per device`,
    );

    const ids: string[] = [];
    let page_token = '';
    let pages = 0;
    let firstPageMs = 0;
    const pagingStarted = performance.now();
    do {
      const started = performance.now();
      const page = await devices.list({ id: { $case: 'registry_id', value: registryId }, page_size: 20_000, page_token, device_view: 0 });
      if (pages === 0) firstPageMs = performance.now() - started;
      ids.push(...page.devices.map((device) => device.id));
      page_token = page.next_page_token;
      pages++;
    } while (page_token);
    say(
      `ListDevices page of 20,000: first page ${firstPageMs.toFixed(0)} ms; all ${ids.length} devices in ${pages} pages ${(performance.now() - pagingStarted).toFixed(0)} ms`,
    );

    const latencies = await sequentialLatencies(ids, (id) => devices.get({ device_id: id, device_view: 0 }));
    say(`GetDevice at ${ids.length} devices (2,000 sequential, random IDs): ${latencies}`);
  } finally {
    await registry.stop();
  }
}

type DeviceClient = PromiseClient<DeviceServiceClient>;

/** Creates `count` devices with a password each (hashed by the registry), 8 at a time. */
async function createPasswordDevices(devices: DeviceClient, registryId: string, prefix: string, count: number) {
  const created: Array<{ id: string; password: string }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const index = next++;
        const password = `Fleet-Connect-Passw0rd-${index}!`;
        const operation = await devices.create({
          registry_id: registryId,
          name: `${prefix}-${index}`,
          description: '',
          labels: {},
          certificates: [],
          topic_aliases: {},
          password,
        });
        created.push({ id: createdId(operation, Device), password });
      }
    }),
  );
  return created;
}

function reportConnects(measured: Array<{ devices: number; rates: ConnectRates; settledSeconds: number }>): void {
  say(
    `\nCONNECT over TLS, ${connectSample} password devices, ${connectConcurrency} at a time, each connecting and disconnecting, once the registry process is idle; first-time (scrypt), then again ${reconnectRounds} times (verified-password cache; the median round):`,
  );
  say(
    '\n| devices in the registry | waited for idle | first-time CONNECT/s | reconnect CONNECT/s | reconnect rounds |\n|---|---|---|---|---|',
  );
  for (const { devices, rates, settledSeconds } of measured)
    say(
      `| ${devices} | ${settledSeconds.toFixed(0)} s | ${rates.firstPerSecond.toFixed(1)} | ${rates.reconnectPerSecond.toFixed(0)} | ${rates.reconnectRounds.map((rate) => rate.toFixed(0)).join(', ')} |`,
    );
  const [small, large] = [measured[0]!, measured.at(-1)!];
  if (measured.length > 1)
    say(
      `\nat ${large.devices} / at ${small.devices}: first-time ${(large.rates.firstPerSecond / small.rates.firstPerSecond).toFixed(2)}, reconnect ${(large.rates.reconnectPerSecond / small.rates.reconnectPerSecond).toFixed(2)}`,
    );
}

async function importDump(registry: RegistryProcess): Promise<void> {
  try {
    const dir = path.join(work, 'dump');
    const shape = { devices: importDevices, aliasEvery, certificateEvery: 20 };
    const written = await writeYcDump(dir, shape);
    say(
      `\nimport yandex --dump: ${importDevices} devices in one registry, ${written.aliases} with an alias, ${written.certificates} with a certificate`,
    );
    for (const run of ['first run', 're-run (everything UNCHANGED)']) {
      const started = performance.now();
      const { exitCode, summary } = await runCli([
        'import',
        'yandex',
        '--dump',
        dir,
        '--format',
        'json',
        '--endpoint',
        registry.endpoint,
        '--api-ca',
        registry.caFile,
        '--token',
        registry.token,
      ]);
      const seconds = (performance.now() - started) / 1000;
      say(
        `${run}: ${seconds.toFixed(1)} s (exit ${exitCode}), ${(seconds / (importDevices / 10_000)).toFixed(1)} s per 10,000 devices; registry RSS ${mib(await registry.rss())}; ${summary}`,
      );
    }
  } finally {
    await registry.stop();
  }
}

/** Runs the CLI; resolves with its exit status and the JSON report's summary and first problem. */
function runCli(args: string[]): Promise<{ exitCode: number | null; summary: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      let summary = output.slice(0, 500);
      try {
        const report = JSON.parse(output) as {
          summary: object;
          resources: Array<{ action: string; id: string; conflicts: string[]; error?: string }>;
        };
        const problem = report.resources.find((row) => row.action === 'CONFLICT' || row.action === 'ERROR');
        summary =
          JSON.stringify(report.summary) +
          (problem ? `; first problem: ${problem.id} ${problem.error ?? problem.conflicts.join('; ')}` : '');
      } catch {
        // not a JSON report: the start of the output says why
      }
      resolve({ exitCode, summary });
    });
  });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
