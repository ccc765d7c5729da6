// The brokers a benchmark compares, each started as its own process(es) on loopback with TLS and
// the same server certificate: iotcore (all-in-one, or a registry and two edges on Redis and the
// MongoDB-compatible server), Mosquitto from Debian, and plain aedes (alone, or two stock cluster
// nodes on mqemitter-redis and aedes-persistence-mongodb).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../test/support/ports.js';
import { anonymousDialect, BENCH_REGISTRY, benchDevicePassword } from './scenarios.js';
import { cpuSeconds, rssBytes } from '../process-stats.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(DIST, 'services/cli/main.js');
const PLAIN_AEDES = path.join(DIST, 'loadtest/bench/plain-aedes.js');

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface RunningBroker {
  name: string;
  /** MQTT over TLS endpoints (two for the clusters: one per edge). */
  urls: string[];
  /** Resident memory of its processes (broker processes only, not Redis or the database). */
  rssBytes(): Promise<number>;
  /** CPU time (user + system) its MQTT-serving processes have used so far: the edges of a cluster. */
  cpuSeconds(): Promise<number>;
  /** Every process still runs (plain aedes can crash under overload: docs/field-notes.md, mqemitter recursion). */
  alive(): boolean;
  /** The last lines its processes printed. */
  logTail(): string;
  stop(): Promise<void>;
  /** Stops every process and starts each again with the same command (same ports, same data dir). */
  restart(): Promise<void>;
}

class BrokerProcess {
  #child: ChildProcess;
  #log = '';
  /** The port it was waited for on, waited for again after a restart. */
  #port?: number;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.#child = this.#spawn();
  }

  #spawn(): ChildProcess {
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    // Keep only the tail: iotcore logs every connection at info level, as in production.
    const keep = (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  }

  /** The same command again, once this one has exited; resolves when it listens. */
  async restart(): Promise<void> {
    await this.stop();
    this.#child = this.#spawn();
    if (this.#port !== undefined) await this.waitForPort(this.#port);
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async waitForPort(port: number): Promise<void> {
    this.#port = port;
    await waitForPort(port, 60_000, () => this.alive).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.#log}`);
    });
  }

  get log(): string {
    return this.#log;
  }

  rssBytes(): Promise<number> {
    return rssBytes(this.#child.pid!);
  }

  cpuSeconds(): Promise<number> {
    return cpuSeconds(this.#child.pid!);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function group(name: string, processes: BrokerProcess[], ports: number[], serving: BrokerProcess[] = processes): RunningBroker {
  return {
    name,
    urls: ports.map((port) => `mqtts://localhost:${port}`),
    rssBytes: async () => (await Promise.all(processes.map((process) => process.rssBytes()))).reduce((sum, bytes) => sum + bytes, 0),
    cpuSeconds: async () => (await Promise.all(serving.map((process) => process.cpuSeconds()))).reduce((sum, seconds) => sum + seconds, 0),
    alive: () => processes.every((process) => process.alive),
    logTail: () => processes.map((process) => process.log).join('\n'),
    stop: async () => {
      await Promise.all(processes.map((process) => process.stop()));
    },
    // Every process down before any comes back, as after a full outage; then in the order they started.
    restart: async () => {
      await Promise.all(processes.map((process) => process.stop()));
      for (const process of processes) await process.restart();
    },
  };
}

/** The all-in-one `iotcore serve` on a data dir that already holds the fleet. */
export async function startIotcore(options: {
  dataDir: string;
  apiPort: number;
  tls: TlsFiles;
  cpuProfileDir?: string;
}): Promise<RunningBroker> {
  const port = await freePort();
  const node = new BrokerProcess(
    process.execPath,
    [
      ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
      CLI,
      'serve',
      '--data-dir',
      options.dataDir,
      '--api-listen',
      `127.0.0.1:${options.apiPort}`,
      '--rest-listen',
      'off',
      '--mqtt-listen',
      `127.0.0.1:${port}`,
      '--http-listen',
      '127.0.0.1:0',
      '--tls-cert',
      options.tls.certFile,
      '--tls-key',
      options.tls.keyFile,
    ],
    { IOTCORE_LOG_LEVEL: 'info', IOTCORE_DRAIN_SECONDS: '0' },
  );
  await node.waitForPort(port);
  return group('iotcore', [node], [port]);
}

/** A registry process on the fleet's data dir and `edges` (2) edges sharing Redis and MongoDB, on the cluster bus `bus` (channels). */
export async function startIotcoreCluster(options: {
  dataDir: string;
  token: string;
  tls: TlsFiles;
  redisUrl: string;
  mongoUrl: string;
  edges?: number;
  bus?: 'channels' | 'routes';
}): Promise<RunningBroker> {
  const apiPort = await freePort();
  const registry = new BrokerProcess(
    process.execPath,
    [
      CLI,
      'serve',
      '--role',
      'registry',
      '--data-dir',
      options.dataDir,
      '--api-listen',
      `127.0.0.1:${apiPort}`,
      '--rest-listen',
      'off',
      '--http-listen',
      '127.0.0.1:0',
    ],
    { IOTCORE_LOG_LEVEL: 'info' },
  );
  await registry.waitForPort(apiPort);
  const ports = await Promise.all(Array.from({ length: options.edges ?? 2 }, () => freePort()));
  const edges = ports.map(
    (port, index) =>
      new BrokerProcess(
        process.execPath,
        [
          CLI,
          'serve',
          '--role',
          'edge',
          '--data-dir',
          path.join(options.dataDir, `edge-${index}`),
          '--mqtt-listen',
          `127.0.0.1:${port}`,
          '--http-listen',
          '127.0.0.1:0',
          '--registry-endpoint',
          `127.0.0.1:${apiPort}`,
          '--registry-token',
          options.token,
          // The registry's default TLS, from the local CA in its data dir.
          '--registry-ca',
          path.join(options.dataDir, 'tls/ca.pem'),
          '--redis-url',
          options.redisUrl,
          '--mongo-url',
          options.mongoUrl,
          '--mongo-db',
          'bench',
          '--tls-cert',
          options.tls.certFile,
          '--tls-key',
          options.tls.keyFile,
          '--cluster-bus',
          options.bus ?? 'channels',
        ],
        { IOTCORE_LOG_LEVEL: 'info', IOTCORE_DRAIN_SECONDS: '0' },
      ),
  );
  await Promise.all(edges.map((edge, index) => edge.waitForPort(ports[index]!)));
  return group('iotcore cluster', [registry, ...edges], ports, edges);
}

/**
 * Mosquitto 2 from Debian, anonymous, tuned as the stronger baseline: unlimited in-flight QoS 1
 * messages and a deep queue (its default of 20 in flight halves its QoS 1 rate; docs/field-notes.md).
 */
/**
 * Mosquitto as a user choosing it would run it: anonymous, or (`auth`) with a password file in
 * mosquitto_passwd's default hashing and an ACL file that gives each client what the Yandex model
 * gives it — a device writes its events and reads its commands and the registry's broadcast, the
 * registry reads every device's events and writes commands.
 */
export async function startMosquitto(options: { workDir: string; tls: TlsFiles; auth?: { devices: number } }): Promise<RunningBroker> {
  const port = await freePort();
  const config = path.join(options.workDir, options.auth ? 'mosquitto-auth.conf' : 'mosquitto.conf');
  const access = options.auth ? await mosquittoAccessFiles(options.workDir, options.auth.devices) : undefined;
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      `certfile ${options.tls.certFile}`,
      `keyfile ${options.tls.keyFile}`,
      ...(access ? ['allow_anonymous false', `password_file ${access.passwords}`, `acl_file ${access.acl}`] : ['allow_anonymous true']),
      // Started as root, Mosquitto would switch to its own user, which cannot read our 0600 key.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'max_inflight_messages 0',
      'max_queued_messages 100000',
      'max_connections -1',
      'persistence false',
      'log_dest none',
      '',
    ].join('\n'),
  );
  const broker = new BrokerProcess(findMosquitto(), ['-c', config]);
  await broker.waitForPort(port);
  return group(access ? 'mosquitto with auth' : 'mosquitto', [broker], [port]);
}

/** The password file (hashed by `mosquitto_passwd -U`, its default: PBKDF2-SHA512) and ACL file of the bench's clients. */
async function mosquittoAccessFiles(workDir: string, devices: number): Promise<{ passwords: string; acl: string }> {
  const passwords = path.join(workDir, 'mosquitto.passwd');
  const acl = path.join(workDir, 'mosquitto.acl');
  const users = [`${BENCH_REGISTRY.username}:${BENCH_REGISTRY.password}`];
  for (let index = 0; index < devices; index++) users.push(`device-${index}:${benchDevicePassword(index)}`);
  await writeFile(passwords, `${users.join('\n')}\n`, { mode: 0o600 });
  const hashed = spawnSync('mosquitto_passwd', ['-U', passwords], { encoding: 'utf8' });
  if (hashed.status !== 0) throw new Error(`mosquitto_passwd -U failed: ${hashed.stderr || hashed.error?.message}`);
  const dialect = anonymousDialect();
  await writeFile(
    acl,
    [
      `user ${BENCH_REGISTRY.username}`,
      `topic read ${dialect.allEvents}`,
      'topic write devices/+/commands',
      `topic write ${dialect.broadcastCommands}`,
      '',
      'pattern write devices/%u/events',
      'pattern read devices/%u/commands',
      `pattern read ${dialect.broadcastCommands}`,
      '',
    ].join('\n'),
  );
  return { passwords, acl };
}

/** Plain aedes (no auth, no ACL), alone or as two stock cluster nodes. */
export async function startPlainAedes(options: {
  tls: TlsFiles;
  cluster?: { redisUrl: string; mongoUrl: string };
  cpuProfileDir?: string;
}): Promise<RunningBroker> {
  const nodes = options.cluster ? 2 : 1;
  const ports = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const processes = ports.map(
    (port) =>
      new BrokerProcess(process.execPath, [
        ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
        PLAIN_AEDES,
        '--port',
        String(port),
        '--cert',
        options.tls.certFile,
        '--key',
        options.tls.keyFile,
        ...(options.cluster
          ? ['--redis-url', options.cluster.redisUrl, '--mongo-url', inDatabase(options.cluster.mongoUrl, 'aedes-bench')]
          : []),
      ]),
  );
  await Promise.all(processes.map((node, index) => node.waitForPort(ports[index]!)));
  return group(options.cluster ? 'aedes + mqemitter-redis' : 'plain aedes', processes, ports);
}

/** `url` naming `database`, its options (such as maxPoolSize) kept. */
function inDatabase(url: string, database: string): string {
  const named = new URL(url);
  named.pathname = `/${database}`;
  return named.toString();
}

function findMosquitto(): string {
  const found = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((file) => existsSync(file));
  if (!found) throw new Error('mosquitto is not installed: `apt-get install mosquitto` (npm test provisions it)');
  return found;
}
