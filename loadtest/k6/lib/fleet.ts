// What every scenario shares: the settings the runner passes (`-e IOTCORE_…`), the fleet it
// provisioned (a registry and devices with their passwords, read once in the init context), MQTT
// clients for a device or the registry (password over TLS, the broker's CA trusted), and the
// timing helpers the scenarios schedule their phases with.
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import { Client } from 'k6/x/mqtt';

export interface Credentials {
  id: string;
  password: string;
}

interface FleetFile {
  registry: Credentials;
  devices: Credentials[];
}

function env(name: string, fallback?: string): string {
  const value = __ENV[name];
  if (value !== undefined && value !== '') return value;
  if (fallback === undefined) throw new Error(`${name} is not set: run the scenario through \`npm run loadtest:k6\``);
  return fallback;
}

function numberEnv(name: string, fallback: number): number {
  const value = Number(env(name, String(fallback)));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a number, got "${__ENV[name]}"`);
  return value;
}

/** `500ms`, `30s`, `2m` (k6's own duration syntax) to milliseconds. */
export function milliseconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`duration "${text}": use e.g. 500ms, 30s or 2m`);
  return Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[match[2]!]!;
}

const fleetPath = env('IOTCORE_FLEET');
// Parsed once for all VUs (SharedArray), not once per VU.
const fleetDevices = new SharedArray('iotcore devices', () => (JSON.parse(open(fleetPath)) as FleetFile).devices);
const registry = new SharedArray('iotcore registry', () => [(JSON.parse(open(fleetPath)) as FleetFile).registry])[0] as Credentials;
const caPath = env('IOTCORE_CA', '');
/** PEM of the CA that signed the broker's certificate (the host name is verified against it). */
const ca = caPath ? open(caPath) : '';

export const config = {
  url: env('IOTCORE_MQTT_URL', 'mqtts://localhost:8883'),
  /** Devices taking part (the first N of the fleet file). */
  devices: Math.min(numberEnv('IOTCORE_DEVICES', fleetDevices.length), fleetDevices.length),
  /** The measured window. */
  durationMs: milliseconds(env('IOTCORE_DURATION', '30s')),
  /** Messages (or commands) per second per device. */
  rate: numberEnv('IOTCORE_RATE', 1),
  qos: (numberEnv('IOTCORE_QOS', 1) >= 1 ? 1 : 0) as 0 | 1,
  /** Payload size in bytes (the JSON header is padded up to it). */
  payloadBytes: numberEnv('IOTCORE_PAYLOAD_BYTES', 0),
  /** Time the devices get to connect before the measured window starts. */
  warmupMs: numberEnv('IOTCORE_WARMUP_SECONDS', 5) * 1000,
  /** Messages of other runs (e.g. queued for a persistent session) carry another run ID and are ignored. */
  runId: env('IOTCORE_RUN_ID', String(Date.now())),
  /** p99 threshold of e2e_latency / command_rtt, in ms. */
  p99Ms: numberEnv('IOTCORE_P99_MS', 1000),
};

if (config.devices === 0) throw new Error('the fleet file has no devices');

export function device(index: number): Credentials {
  const entry = fleetDevices[index];
  if (!entry) throw new Error(`device ${index}: the fleet has ${fleetDevices.length}`);
  return entry as Credentials;
}

export interface ClientSettings {
  clientId: string;
  cleanSession?: boolean;
  inboxSize?: number;
  timeoutMs?: number;
  tags?: Record<string, string>;
}

/** A device's connection: username = device ID, its password, over TLS. */
export function deviceClient(index: number, settings: ClientSettings): Client {
  const { id, password } = device(index);
  return new Client({
    url: config.url,
    ca,
    username: id,
    password,
    keepaliveSeconds: 60,
    ...settings,
    tags: { role: 'device', ...settings.tags },
  });
}

/** A registry connection: username = registry ID, the registry's password, over TLS. */
export function registryClient(settings: ClientSettings): Client {
  return new Client({
    url: config.url,
    ca,
    username: registry.id,
    password: registry.password,
    keepaliveSeconds: 60,
    ...settings,
    tags: { role: 'registry', ...settings.tags },
  });
}

/** Sleeps until the wall-clock time `at` (ms since the epoch); returns at once when it has passed. */
export function sleepUntil(at: number): void {
  const wait = at - Date.now();
  if (wait > 0) sleep(wait / 1000);
}

/** The error message of something a k6/x/mqtt call threw. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const trendStats = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'];
