// A real cluster on loopback: its own redis-server and FerretDB (on PostgreSQL unless asked for
// SQLite; tests may kill, pause and restart both), one or more registry replicas and N edge
// processes (`iotcore serve --role …`; edge i is linked to replica i mod replicas), with helpers to
// kill -9, restart, pause (SIGSTOP) and resume any of them. Every edge shares one TLS certificate, as edges behind one load balancer do;
// the registry replicas serve their API with one from the same CA, which the edges trust for the registry link.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ensureLocalTlsMaterial } from '../../services/common/tls-material.js';
import { promiseClient } from '../../services/common/grpc-client.js';
import { SERVE_SETTINGS } from '../../services/common/config.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { RegistryDataServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_data_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import {
  startFerretDb,
  startRedis,
  startRedisCluster,
  uniqueDbName,
  type FerretDbBackend,
  type RedisClusterHandle,
  type ServerHandle,
} from '../support/servers.js';
import { freePort } from '../support/ports.js';
import { CLI } from '../support/serve-process.js';
import { createdId } from '../registry/api/harness.js';

export const TOKEN = 'cluster-test-token';

/** One `iotcore serve` process that can be killed, paused and started again with the same settings. */
export class NodeProcess {
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly httpPort: number,
    private readonly args: string[],
    private readonly readyLine: string,
  ) {}

  /** GET /readyz of this process: status code and the checks it reported. */
  async readiness(): Promise<{ status: number; checks: Record<string, boolean> }> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, checks: ((await response.json()) as { checks: Record<string, boolean> }).checks };
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, IOTCORE_LOG_LEVEL: 'info' },
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start:\n${this.logTail()}`)), 30_000);
      const onData = (chunk: Buffer) => {
        this.#log = (this.#log + chunk.toString()).slice(-20_000);
        if (this.#log.includes(this.readyLine)) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.#log = '';
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}):\n${this.logTail()}`));
      });
    });
  }

  /** Sends a signal; for SIGKILL/SIGTERM waits until the process is gone and returns its exit code. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.#child;
    if (!child || !this.running) return child?.exitCode ?? null;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal);
      return null;
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGCONT');
    child.kill(signal);
    return exited;
  }

  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.start();
  }

  logTail(lines = 30): string {
    return this.#log.split('\n').slice(-lines).join('\n');
  }
}

export interface Cluster {
  /** The Redis server; on a Redis Cluster, its first master. */
  redis: ServerHandle;
  /** What the processes were given as `--redis-url` (open it with `openRedis`). */
  redisUrl: string;
  /** Set when the cluster runs on a Redis Cluster. */
  redisCluster?: RedisClusterHandle;
  /** The bus between the edges. */
  bus: ClusterBus;
  mongo: ServerHandle;
  /** The database every process was given as `--mongo-db`. */
  mongoDb: string;
  /** The first registry replica. */
  registry: NodeProcess;
  registries: NodeProcess[];
  edges: NodeProcess[];
  ca: Buffer;
  /** The management API of the first replica. */
  api: ApiClients;
  /** The management API of replica `index`. */
  apiOf(index: number): ApiClients;
  /** mqtts:// URL of edge `index` (clients must trust `ca`). */
  url(index: number): string;
  /** Connects an MQTT client over TLS to edge `index`. */
  connect(index: number, options: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export type ClusterBus = 'channels' | 'routes';
/** What `iotcore serve` runs when not told. */
const DEFAULT_BUS = SERVE_SETTINGS.find((setting) => setting.key === 'clusterBus')!.default as ClusterBus;

export async function startCluster(options: {
  edges: number;
  registries?: number;
  edgeArgs?: string[];
  registryArgs?: string[];
  /** The bus edges and the registry replicas' publish-only MQTT nodes share (default: serve's). */
  clusterBus?: ClusterBus;
  redisCluster?: boolean;
  /** FerretDB's backend (PostgreSQL: loadtest/results/cluster-database.md). */
  database?: FerretDbBackend;
}): Promise<Cluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-cluster-'));
  // What is running so far, stopped newest first by close() or when starting fails: a process left
  // running keeps the test file alive after its test failed.
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    return await startProcesses(options, dir, stops, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startProcesses(
  options: Parameters<typeof startCluster>[0],
  dir: string,
  stops: Array<() => Promise<unknown>>,
  stopAll: () => Promise<void>,
): Promise<Cluster> {
  const started = await Promise.allSettled([
    options.redisCluster ? startRedisCluster() : Promise.resolve(undefined),
    startFerretDb(options.database ?? 'postgresql'),
  ]);
  for (const result of started) if (result.status === 'fulfilled' && result.value) stops.push(() => result.value!.stop());
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [redisCluster, mongo] = started.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [
    RedisClusterHandle | undefined,
    ServerHandle,
  ];
  const redis = redisCluster ? redisCluster.nodes[0]! : await startRedis();
  if (!redisCluster) stops.push(() => redis.stop());
  const redisUrl = redisCluster?.url ?? redis.url;
  const mongoDb = uniqueDbName('cluster');
  const mongoArgs = ['--mongo-url', mongo.url, '--mongo-db', mongoDb];
  const bus = options.clusterBus ?? DEFAULT_BUS;
  const busArgs = ['--cluster-bus', bus];
  const tls = await ensureLocalTlsMaterial(path.join(dir, 'shared'), []);

  const registries: NodeProcess[] = [];
  for (let index = 0; index < (options.registries ?? 1); index++) {
    const [apiPort, registryHttp] = [await freePort(), await freePort()];
    registries.push(
      new NodeProcess(
        index === 0 ? 'registry' : `registry-${index}`,
        apiPort,
        registryHttp,
        [
          '--role',
          'registry',
          '--data-dir',
          path.join(dir, `registry-${index}`),
          '--api-listen',
          `127.0.0.1:${apiPort}`,
          '--api-tls-cert',
          tls.certFile,
          '--api-tls-key',
          tls.keyFile,
          '--admin-tokens',
          TOKEN,
          '--http-listen',
          `127.0.0.1:${registryHttp}`,
          '--redis-url',
          redisUrl,
          ...mongoArgs,
          ...busArgs,
          ...(options.registryArgs ?? []),
        ],
        'health and metrics on',
      ),
    );
  }
  for (const registry of registries) stops.push(() => registry.kill('SIGKILL'));
  // The first replica alone marks the empty database's schema: FerretDB's upsert reads, then inserts,
  // so replicas starting together could both insert the mark and one exit on E11000 (MongoDB
  // retries such an upsert itself).
  await registries[0]!.start();
  await Promise.all(registries.slice(1).map((registry) => registry.start()));

  const edges: NodeProcess[] = [];
  for (let index = 0; index < options.edges; index++) {
    const [port, httpPort] = [await freePort(), await freePort()];
    const linked = registries[index % registries.length]!;
    edges.push(
      new NodeProcess(
        `edge-${index}`,
        port,
        httpPort,
        [
          '--role',
          'edge',
          '--data-dir',
          path.join(dir, `edge-${index}`),
          '--mqtt-listen',
          `127.0.0.1:${port}`,
          '--http-listen',
          `127.0.0.1:${httpPort}`,
          '--tls-cert',
          tls.certFile,
          '--tls-key',
          tls.keyFile,
          '--registry-endpoint',
          `127.0.0.1:${linked.port}`,
          '--registry-token',
          TOKEN,
          '--registry-ca',
          tls.caFile,
          '--redis-url',
          redisUrl,
          ...mongoArgs,
          ...busArgs,
          ...(options.edgeArgs ?? []),
        ],
        'health and metrics on',
      ),
    );
  }
  for (const edge of edges) stops.push(() => edge.kill('SIGKILL'));
  await Promise.all(edges.map((edge) => edge.start()));
  const ca = await readFile(tls.caFile);
  const apis = registries.map((registry) => apiClients(`127.0.0.1:${registry.port}`, credentials.createSsl(ca)));
  stops.push(async () => apis.forEach((api) => api.close()));

  return {
    redis,
    redisUrl,
    bus,
    redisCluster,
    mongo,
    mongoDb,
    registry: registries[0]!,
    registries,
    edges,
    ca,
    api: apis[0]!,
    apiOf: (index) => apis[index]!,
    url: (index) => `mqtts://localhost:${edges[index]!.port}`,
    connect: (index, clientOptions) =>
      mqtt.connectAsync(`mqtts://localhost:${edges[index]!.port}`, { ca, reconnectPeriod: 0, connectTimeout: 5000, ...clientOptions }),
    close: stopAll,
  };
}

export type ApiClients = ReturnType<typeof apiClients>;

export function apiClients(address: string, channel: ChannelCredentials) {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${TOKEN}`);
  const raw = {
    registries: new RegistryServiceClient(address, channel),
    devices: new DeviceServiceClient(address, channel),
    brokers: new BrokerServiceClient(address, channel),
    registryData: new RegistryDataServiceClient(address, channel),
  };
  const registries = promiseClient(raw.registries, metadata, 10_000);
  const devices = promiseClient(raw.devices, metadata, 10_000);
  const brokers = promiseClient(raw.brokers, metadata, 10_000);
  const registryData = promiseClient(raw.registryData, metadata, 10_000);
  return {
    registries,
    devices,
    brokers,
    registryData,
    async createRegistry(name: string, password: string): Promise<string> {
      return createdId(
        await registries.create({
          folder_id: 'cluster',
          name,
          description: '',
          labels: {},
          certificates: [],
          password,
          log_options: undefined,
        }),
        Registry,
      );
    },
    async createDevice(registryId: string, name: string, password: string): Promise<string> {
      return createdId(
        await devices.create({ registry_id: registryId, name, description: '', labels: {}, certificates: [], topic_aliases: {}, password }),
        Device,
      );
    },
    close: () => Object.values(raw).forEach((client) => client.close()),
  };
}
