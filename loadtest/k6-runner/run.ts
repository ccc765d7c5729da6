// `npm run loadtest:k6 -- <scenario> [options]`: runs a k6 scenario of loadtest/k6/ against a
// running iotcore (by default the one `npm start` runs in this directory).
//   1. builds k6 with iotcore's k6/x/mqtt module (loadtest/k6/build/, Go module proxy) into
//      .tools/bin/k6 when the binary is missing or the module's files changed;
//   2. through the management API, finds or creates the registry `--registry-name` and the
//      devices k6-device-00000… with passwords (kept in .tools/k6-fleet/ and reused: a password
//      costs the server a slow hash; devices or a registry whose password the file does not know
//      get a new one added);
//   3. runs `.tools/bin/k6 run loadtest/k6/<scenario>.ts` with the settings as `-e IOTCORE_…`,
//      the summary exported to loadtest/results/k6-<scenario>.json,
// and exits with k6's status: non-zero when a threshold failed.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, type Api } from '../../services/cli/connection.js';
import { CreateRegistryRequest } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { CreateDeviceRequest, ListDevicesRequest } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device, DeviceView } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import type { Operation } from '../../services/generated/yandex/cloud/operation/operation.js';
import { integerOption, parseCommandLine, UsageError } from '../command-line.js';

// dist/loadtest/k6-runner/run.js → the repository root
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
const BUILD_DIR = path.join(REPO_ROOT, 'loadtest/k6/build');
const K6 = path.join(TOOLS_DIR, 'bin/k6');
const SCENARIOS = ['telemetry', 'consumers', 'commands', 'connect-storm'];
const CREATE_CONCURRENCY = 8;

const USAGE = `usage: npm run loadtest:k6 -- <${SCENARIOS.join('|')}> [options]
  --devices N            devices taking part, one k6 VU each (100)
  --duration 30s         measured window (connect-storm: how long the fleet stays connected)
  --rate R               messages (commands) per second per device (1)
  --qos 0|1              QoS of events and commands (1)
  --payload-bytes B      pad event payloads to B bytes (0: ~70-byte JSON)
  --warmup S             seconds the devices get to connect before the window (5 + devices/100)
  --consumers N          registry consumers: telemetry (1), consumers (2, clean sessions)
  --persistent N         consumers: persistent-session consumers (1)
  --offline S            consumers: how long a persistent consumer stays away (5)
  --commanders N         commands: registry connections sending commands (4)
  --p99 MS               threshold on p99 of e2e_latency / command_rtt (1000)
  --endpoint HOST:PORT   MQTT over TLS (localhost:8883)
  --ca FILE              CA of the broker's certificate (data/tls/ca.pem; '' = system roots)
  --api HOST:PORT        management API (127.0.0.1:50051)
  --api-ca FILE          CA of the management API's TLS (default: data/tls/ca.pem when it exists, and the system's; IOTCORE_API_PLAINTEXT=true for a plaintext API)
  --token T              admin token (IOTCORE_TOKEN, else data/admin-token)
  --folder-id F          folder of the test registry (k6)
  --registry-name NAME   the test registry, reused by name (k6-loadtest)
  --out DIR              where k6-<scenario>.json goes (loadtest/results)
  -h, --help             this text`;

const { args, scenario, devices } = parseCommandLine(
  {
    allowPositionals: true,
    options: {
      devices: { type: 'string', default: '100' },
      duration: { type: 'string', default: '30s' },
      rate: { type: 'string', default: '1' },
      qos: { type: 'string', default: '1' },
      'payload-bytes': { type: 'string', default: '0' },
      warmup: { type: 'string' },
      consumers: { type: 'string' },
      persistent: { type: 'string' },
      offline: { type: 'string' },
      commanders: { type: 'string' },
      p99: { type: 'string' },
      endpoint: { type: 'string', default: 'localhost:8883' },
      ca: { type: 'string' },
      api: { type: 'string', default: '127.0.0.1:50051' },
      'api-ca': { type: 'string' },
      token: { type: 'string' },
      'folder-id': { type: 'string', default: 'k6' },
      'registry-name': { type: 'string', default: 'k6-loadtest' },
      out: { type: 'string', default: path.join(REPO_ROOT, 'loadtest/results') },
    },
  },
  USAGE,
  ({ values: args, positionals }) => {
    const [scenario, ...extra] = positionals;
    if (!scenario) throw new UsageError('which scenario?');
    if (!SCENARIOS.includes(scenario)) throw new UsageError(`unknown scenario ${scenario}`);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (!/^\d+(\.\d+)?(ms|s|m|h)$/.test(args.duration!)) throw new UsageError(`--duration ${args.duration}: use e.g. 30s or 2m`);
    if (args.qos !== '0' && args.qos !== '1') throw new UsageError(`--qos ${args.qos}: expected 0 or 1`);
    return { args, scenario, devices: integerOption('--devices', args.devices!) };
  },
);

interface FleetFile {
  api: string;
  folderId: string;
  registry: { id: string; name: string; password: string };
  devices: Array<{ id: string; name: string; password: string }>;
}

async function main(): Promise<number> {
  const dataDir = process.env.IOTCORE_DATA_DIR ?? 'data';
  const ca = args.ca ?? path.join(dataDir, 'tls/ca.pem');
  if (ca && !existsSync(ca)) throw new Error(`--ca ${ca}: no such file (the broker's CA; pass --ca '' to trust the system roots)`);

  ensureK6();
  const fleetFile = await ensureFleet(devices, resolveToken(dataDir));

  const out = path.resolve(args.out!);
  mkdirSync(out, { recursive: true });
  const summary = path.join(out, `k6-${scenario}.json`);
  const settings: Record<string, string | undefined> = {
    IOTCORE_FLEET: fleetFile,
    IOTCORE_CA: ca ? path.resolve(ca) : '',
    IOTCORE_MQTT_URL: `mqtts://${args.endpoint}`,
    IOTCORE_DEVICES: String(devices),
    IOTCORE_DURATION: args.duration,
    IOTCORE_RATE: args.rate,
    IOTCORE_QOS: args.qos,
    IOTCORE_PAYLOAD_BYTES: args['payload-bytes'],
    IOTCORE_WARMUP_SECONDS: args.warmup ?? String(5 + Math.ceil(devices / 100)),
    IOTCORE_CONSUMERS: args.consumers,
    IOTCORE_PERSISTENT: args.persistent,
    IOTCORE_OFFLINE_SECONDS: args.offline,
    IOTCORE_COMMANDERS: args.commanders,
    IOTCORE_P99_MS: args.p99,
    IOTCORE_RUN_ID: `${Date.now()}-${randomBytes(3).toString('hex')}`,
  };
  const k6Args = ['run', '--summary-export', summary];
  if (!process.stdout.isTTY) k6Args.push('--quiet'); // no progress bar, once a second, in logs
  for (const [name, value] of Object.entries(settings)) if (value !== undefined) k6Args.push('-e', `${name}=${value}`);
  k6Args.push(path.join(REPO_ROOT, 'loadtest/k6', `${scenario}.ts`));
  console.log(
    `loadtest: K6_NO_USAGE_REPORT=true ${path.relative(process.cwd(), K6)} ${k6Args.map((arg) => (/[\s'"$]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`,
  );

  const child = spawn(K6, k6Args, { stdio: 'inherit', env: { ...process.env, K6_NO_USAGE_REPORT: 'true' } });
  // Ctrl-C reaches k6 too (same process group): it stops the test and still writes its summary.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1))));
  process.off('SIGINT', ignore);
  if (existsSync(summary)) console.log(`loadtest: k6 summary in ${path.relative(process.cwd(), summary)}`);
  return code;
}

/** --token, then IOTCORE_TOKEN, then the all-in-one server's token file. */
function resolveToken(dataDir: string): string {
  const token = args.token ?? process.env.IOTCORE_TOKEN;
  if (token) return token;
  const file = path.join(dataDir, 'admin-token');
  if (!existsSync(file)) throw new Error(`no API token: pass --token or set IOTCORE_TOKEN (\`npm start\` writes one to ${file})`);
  return readFileSync(file, 'utf8').trim();
}

/** Builds .tools/bin/k6 when it is missing or loadtest/k6/build/ changed (as provision.ts does for FerretDB). */
function ensureK6(): void {
  const stampFile = path.join(TOOLS_DIR, 'k6.stamp');
  const stamp = createHash('sha256');
  for (const file of buildFiles(BUILD_DIR)) {
    stamp.update(path.relative(BUILD_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const wanted = stamp.digest('hex');
  if (existsSync(K6) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return;
  console.log(
    'loadtest: building k6 v2 with the k6/x/mqtt module into .tools/bin/k6 from the Go module proxy (first run only, a few minutes)',
  );
  mkdirSync(path.dirname(K6), { recursive: true });
  try {
    execFileSync('go', ['build', '-trimpath', '-o', K6, '.'], {
      cwd: BUILD_DIR,
      stdio: 'inherit',
      env: { ...process.env, CGO_ENABLED: '0' },
    });
  } catch (error) {
    throw new Error(`building k6 failed (needs Go ≥ 1.25 and the Go module proxy): ${(error as Error).message}`);
  }
  writeFileSync(stampFile, wanted);
}

function buildFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return buildFiles(file);
      return /\.go$|^go\.(mod|sum)$/.test(entry.name) ? [file] : [];
    });
}

/**
 * The registry and the first `size` devices, with passwords, written to the fleet file the
 * scenarios read. Everything that already exists (by name) is reused.
 */
async function ensureFleet(size: number, token: string): Promise<string> {
  const api = args.api!;
  const folderId = args['folder-id']!;
  const registryName = args['registry-name']!;
  const file = path.join(TOOLS_DIR, 'k6-fleet', `${api.replace(/[^\w.-]/g, '_')}-${folderId}-${registryName}.json`);
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FleetFile) : undefined;
  const client = connect({ endpoint: api, token, apiCa: args['api-ca'], format: 'json', folderId });
  try {
    const fleet = await ensureRegistry(client, folderId, registryName, known);
    const save = () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(fleet, null, 1)}\n`, { mode: 0o600 });
    };
    save();
    try {
      await ensureDevices(client, fleet, size);
    } finally {
      save();
    }
    return file;
  } finally {
    client.close();
  }
}

async function ensureRegistry(api: Api, folderId: string, name: string, known: FleetFile | undefined): Promise<FleetFile> {
  const existing = await api.registries.getByName({ folder_id: folderId, registry_name: name }).catch((error: ServiceError) => {
    if (error.code === status.NOT_FOUND) return undefined;
    throw new Error(`management API at ${args.api}: ${error.message}`);
  });
  if (!existing) {
    const password = newPassword();
    console.log(`loadtest: creating registry ${name} in folder ${folderId}`);
    const registry = created(
      await api.registries.create(CreateRegistryRequest.fromPartial({ folder_id: folderId, name, password })),
      Registry,
    );
    return { api: args.api!, folderId, registry: { id: registry.id, name, password }, devices: [] };
  }
  if (known && known.registry.id === existing.id) return known;
  // The registry exists but this machine does not know a password of it: add one.
  const password = newPassword();
  console.log(`loadtest: reusing registry ${name} (${existing.id}), adding a password`);
  checked(await api.registries.addPassword({ registry_id: existing.id, password }));
  return { api: args.api!, folderId, registry: { id: existing.id, name, password }, devices: [] };
}

async function ensureDevices(api: Api, fleet: FleetFile, size: number): Promise<void> {
  const existing = new Map<string, string>(); // name → ID
  let page_token = '';
  do {
    const page = await api.devices.list(
      ListDevicesRequest.fromPartial({
        id: { $case: 'registry_id', value: fleet.registry.id },
        page_size: 1000,
        page_token,
        device_view: DeviceView.BASIC,
      }),
    );
    for (const device of page.devices) existing.set(device.name, device.id);
    page_token = page.next_page_token;
  } while (page_token);

  const knownByName = new Map(fleet.devices.map((device) => [device.name, device]));
  const devices: FleetFile['devices'] = [];
  const work: Array<() => Promise<void>> = [];
  let createdCount = 0;
  let passwordsAdded = 0;
  for (let index = 0; index < size; index++) {
    const name = `k6-device-${String(index).padStart(5, '0')}`;
    const id = existing.get(name);
    const known = knownByName.get(name);
    if (id && known?.id === id) {
      devices[index] = known;
    } else if (id) {
      work.push(async () => {
        const password = newPassword();
        checked(await api.devices.addPassword({ device_id: id, password }));
        devices[index] = { id, name, password };
        passwordsAdded++;
      });
    } else {
      work.push(async () => {
        const password = newPassword();
        const device = created(
          await api.devices.create(CreateDeviceRequest.fromPartial({ registry_id: fleet.registry.id, name, password })),
          Device,
        );
        devices[index] = { id: device.id, name, password };
        createdCount++;
        if (createdCount % 200 === 0) console.log(`loadtest:   ${createdCount} devices created`);
      });
    }
  }
  if (work.length > 0)
    console.log(`loadtest: ${work.length} of ${size} devices need a password or creating (one slow password hash on the server each)`);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < work.length) await work[next++]!();
      }),
    );
  } finally {
    // Keep what is known, including devices beyond `size` from earlier, larger runs.
    const merged = new Map(fleet.devices.map((device) => [device.name, device]));
    for (const device of devices) if (device) merged.set(device.name, device);
    fleet.devices = [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  if (work.length > 0)
    console.log(`loadtest: fleet ready: ${createdCount} devices created, ${passwordsAdded} passwords added, ${size - work.length} reused`);
}

function created<T>(operation: Operation, type: { decode(bytes: Uint8Array): T }): T {
  checked(operation);
  if (operation.result?.$case !== 'response') throw new Error(`operation ${operation.id} finished without a result`);
  return type.decode(operation.result.value.value);
}

function checked(operation: Operation): void {
  if (operation.result?.$case === 'error') throw new Error(`operation ${operation.id} failed: ${operation.result.value.message}`);
}

/** A test password: 22 characters, upper and lower case, digits (iotcore wants 3 of 4 classes). */
function newPassword(): string {
  return `K6-${randomBytes(12).toString('base64url')}-7a`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`loadtest: ${(error as Error).message}`);
    process.exit(1);
  },
);
