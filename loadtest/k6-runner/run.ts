// `npm run loadtest:k6 -- <scenario> [options]`: runs a k6 scenario of loadtest/k6/ against a
// running iotcore (by default the one `npm start` runs here). Builds k6 with iotcore's MQTT module
// from the Go module proxy on first use, provisions the devices through the management API (kept
// for the next run), and exits with k6's status (non-zero when a threshold fails).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Metadata, credentials } from '@grpc/grpc-js';
import { promiseClient } from '../../services/cli/connection.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { REPO_ROOT, TOOLS_DIR } from '../../test/support/tools.js';
import { createFleet, type Fleet } from '../bench/fleet.js';

const SCENARIOS = ['telemetry', 'commands', 'connect-storm'];
const BUILD_DIR = path.join(REPO_ROOT, 'loadtest/k6/build');
const K6 = path.join(TOOLS_DIR, 'bin/k6');

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    devices: { type: 'string', default: '100' },
    duration: { type: 'string', default: '30s' },
    rate: { type: 'string', default: '1' },
    endpoint: { type: 'string', default: 'localhost:8883' },
    api: { type: 'string', default: '127.0.0.1:50051' },
    token: { type: 'string' },
    ca: { type: 'string', default: 'data/tls/ca.pem' },
  },
});

async function main(): Promise<void> {
  const scenario = positionals[0];
  if (!scenario || !SCENARIOS.includes(scenario)) throw new Error(`usage: npm run loadtest:k6 -- <${SCENARIOS.join('|')}> [--devices N] [--duration 30s] [--rate msg/s per device] [--endpoint host:8883] [--api host:50051] [--token T] [--ca file]`);
  ensureK6();
  const token = args.token ?? process.env.IOTCORE_TOKEN ?? readFileSync(path.resolve('data/admin-token'), 'utf8').trim();
  const devices = Number(args.devices);
  const fleetFile = await ensureFleet(args.api!, token, devices);
  const summary = path.join(REPO_ROOT, 'loadtest/results', `k6-${scenario}.json`);
  mkdirSync(path.dirname(summary), { recursive: true });
  const child = spawn(K6, ['run', '--summary-export', summary, path.join(REPO_ROOT, 'loadtest/k6', `${scenario}.ts`)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      K6_NO_USAGE_REPORT: 'true',
      IOTCORE_FLEET: fleetFile,
      IOTCORE_CA: path.resolve(args.ca!),
      IOTCORE_MQTT_URL: `mqtts://${args.endpoint}`,
      IOTCORE_DEVICES: String(devices),
      IOTCORE_DURATION: args.duration,
      IOTCORE_RATE: args.rate,
    },
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)));
  console.log(`k6 summary written to ${path.relative(process.cwd(), summary)}`);
  process.exit(code);
}

/** Builds .tools/bin/k6 when it is missing or its Go sources changed. */
function ensureK6(): void {
  const stampFile = path.join(TOOLS_DIR, 'k6.stamp');
  const stamp = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum', 'mqtt/mqtt.go']) stamp.update(readFileSync(path.join(BUILD_DIR, file)));
  const wanted = stamp.digest('hex');
  if (existsSync(K6) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return;
  console.log('loadtest: building k6 with the k6/x/mqtt module into .tools/bin (first run only, a few minutes)');
  mkdirSync(path.dirname(K6), { recursive: true });
  execFileSync('go', ['build', '-trimpath', '-o', K6, '.'], { cwd: BUILD_DIR, stdio: 'inherit', env: { ...process.env, CGO_ENABLED: '0' } });
  writeFileSync(stampFile, wanted);
}

/** The fleet file for this API endpoint and size, created through the management API once. */
async function ensureFleet(api: string, token: string, size: number): Promise<string> {
  const file = path.join(TOOLS_DIR, 'k6-fleet', `${api.replace(/[^\w.-]/g, '_')}-${size}.json`);
  if (existsSync(file)) {
    const fleet = JSON.parse(readFileSync(file, 'utf8')) as Fleet;
    if (await registryExists(api, token, fleet.registry.id)) return file;
  }
  console.log(`loadtest: creating a registry and ${size} devices with passwords through ${api}`);
  const fleet = await createFleet(api, token, size, (line) => console.log(line));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(fleet), { mode: 0o600 });
  return file;
}

async function registryExists(api: string, token: string, id: string): Promise<boolean> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const client = new RegistryServiceClient(api, credentials.createInsecure());
  try {
    await promiseClient(client, metadata, 10_000).get({ registry_id: id });
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`loadtest: ${(error as Error).message}`);
  process.exit(1);
});
