// The one place tests get Redis and a MongoDB-compatible server from:
//   1. REDIS_URL / MONGO_URL when set (CI or a developer's own servers);
//   2. otherwise containers (redis:7, mongo:7) when a container runtime answers;
//   3. otherwise local processes on free loopback ports: Debian's redis-server and FerretDB v1
//      (SQLite backend) built by provision.ts — stopped when the test process exits.
// The cluster tests and benchmarks start their own FerretDB, on its PostgreSQL backend
// (startFerretDb('postgresql'), over Debian's postgresql, with deploy/ferretdb's lookup indexes).
// Tests of the Kafka export start their own Kafka broker (startKafka(), the jars provision.ts
// fetched, on Java 17).
// A server that cannot be had is an error naming what is missing, never a silent skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from './ports.js';
import { FERRETDB_BINARY, KAFKA_JARS, REPO_ROOT, postgresProgram } from './tools.js';

export interface ServerHandle {
  url: string;
  port: number;
  readonly pid: number | undefined;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Send a signal (SIGKILL, SIGSTOP, SIGCONT) without waiting. */
  kill(signal: NodeJS.Signals): void;
  /** Start again on the same port with the same data. */
  restart(): Promise<void>;
  /** Last lines the server wrote (for error messages). */
  logTail(): string;
}

let redisPromise: Promise<string> | undefined;
let mongoPromise: Promise<string> | undefined;

export function redisUrl(): Promise<string> {
  redisPromise ??= process.env.REDIS_URL ? Promise.resolve(process.env.REDIS_URL) : sharedServer('redis');
  return redisPromise;
}

export function mongoUrl(): Promise<string> {
  mongoPromise ??= process.env.MONGO_URL ? Promise.resolve(process.env.MONGO_URL) : sharedServer('mongo');
  return mongoPromise;
}

/** A database name no other test run uses, for isolation on a shared server. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
}

async function sharedServer(kind: 'redis' | 'mongo'): Promise<string> {
  const fromContainer = await containerServer(kind);
  if (fromContainer) return fromContainer;
  const handle = kind === 'redis' ? await startRedis() : await startFerretDb();
  process.once('exit', () => handle.kill('SIGKILL'));
  return handle.url;
}

async function containerServer(kind: 'redis' | 'mongo'): Promise<string | undefined> {
  // Probing testcontainers without a Docker socket fails fast; skip the import entirely then.
  if (!existsSync('/var/run/docker.sock') && !process.env.DOCKER_HOST) return undefined;
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const port = kind === 'redis' ? 6379 : 27017;
  const container = await new GenericContainer(kind === 'redis' ? 'redis:7' : 'mongo:7').withExposedPorts(port).start();
  process.once('exit', () => void container.stop());
  const address = `${container.getHost()}:${container.getMappedPort(port)}`;
  return kind === 'redis' ? `redis://${address}` : `mongodb://${address}`;
}

export async function startRedis(): Promise<ServerHandle> {
  const binary = findOnPath('redis-server');
  if (!binary)
    throw new Error(
      'redis-server is not installed: run `npm test` as root (its pretest installs it with apt-get) or `apt-get install redis-server`, or set REDIS_URL',
    );
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-redis-'));
  return startProcess({
    name: 'redis-server',
    port,
    url: `redis://127.0.0.1:${port}`,
    command: binary,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
}

export interface RedisClusterHandle {
  /** `redis+cluster://` with the masters as seed nodes. */
  url: string;
  /** Every node; the first `masters` were made masters, each later one a replica. */
  nodes: ServerHandle[];
  /** The node that is master of `key`'s hash slot now (asked of the first node, so before killing it). */
  masterOf(key: string): Promise<ServerHandle>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` masters with one replica each, from Debian's redis-server joined by
 * `redis-cli --cluster create`; failover after 2 s without a master.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const binary = findOnPath('redis-server');
  const cli = findOnPath('redis-cli');
  if (!binary || !cli)
    throw new Error(
      'redis-server and redis-cli are not installed: run `npm test` as root (its pretest installs them with apt-get) or `apt-get install redis-server`',
    );
  const nodes = await Promise.all(
    Array.from({ length: masters * 2 }, async () => {
      const [port, busPort] = [await freePort(), await freePort()];
      const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-redis-cluster-'));
      return startProcess({
        name: 'redis-server (cluster node)',
        port,
        url: `redis://127.0.0.1:${port}`,
        command: binary,
        args: [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          // A replica's first sync starts at once instead of after the default 5 s wait.
          '--repl-diskless-sync-delay',
          '0',
          '--dir',
          dir,
        ],
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      });
    }),
  );
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const create = spawn(
    cli,
    ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  create.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  create.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => create.once('exit', resolve));
  if (code !== 0) {
    await stop();
    throw new Error(`redis-cli --cluster create failed (exit ${code}):\n${output.slice(-2000)}`);
  }
  await waitForClusterOk(cli, nodes);
  const seeds = nodes
    .slice(0, masters)
    .map((node) => `127.0.0.1:${node.port}`)
    .join(',');
  const masterOf = async (key: string) => {
    const probe = new Redis(nodes[0]!.url);
    try {
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      const port = ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
      return nodes.find((node) => node.port === port)!;
    } finally {
      probe.disconnect();
    }
  };
  return { url: `redis+cluster://${seeds}`, nodes, masterOf, stop };
}

/**
 * Until every node says cluster_state:ok and every replica has synced with its master: a replica
 * that never synced does not take over when its master dies (its data counts as too old), so a
 * test killing a master right after start would see the cluster down for good instead of a failover.
 */
async function waitForClusterOk(cli: string, nodes: ServerHandle[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  const ask = (node: ServerHandle, ...command: string[]) =>
    new Promise<string>((resolve) => {
      const info = spawn(cli, ['-p', String(node.port), ...command], { stdio: ['ignore', 'pipe', 'ignore'] });
      let text = '';
      info.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      info.once('exit', () => resolve(text));
    });
  for (;;) {
    const states = await Promise.all(nodes.map((node) => ask(node, 'cluster', 'info')));
    const replication = await Promise.all(nodes.map((node) => ask(node, 'info', 'replication')));
    const synced = replication.every((info) => info.includes('role:master') || info.includes('master_link_status:up'));
    if (states.every((state) => state.includes('cluster_state:ok')) && synced) return;
    if (Date.now() > deadline)
      throw new Error(`the Redis Cluster was not ok and synced in 30 s:\n${states.join('\n')}\n${replication.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Where FerretDB keeps its data: SQLite files of its own, or a PostgreSQL server of its own. */
export type FerretDbBackend = 'sqlite' | 'postgresql';

export interface FerretDbHandle extends ServerHandle {
  /** On the PostgreSQL backend: that server's URL. */
  postgresUrl?: string;
}

/**
 * FerretDB on a free loopback port. On PostgreSQL, kill() and restart() act on FerretDB alone,
 * which to its clients is the database going away and coming back with its data; stop() stops
 * the PostgreSQL server under it too.
 */
export async function startFerretDb(backend: FerretDbBackend = 'sqlite'): Promise<FerretDbHandle> {
  if (!existsSync(FERRETDB_BINARY)) {
    throw new Error(
      `FerretDB is not built (${FERRETDB_BINARY} missing): run \`npm test\` (its pretest builds it with Go) or \`node dist/test/support/provision.js\`, or set MONGO_URL`,
    );
  }
  const port = await freePort();
  const spec = { name: `ferretdb (${backend})`, port, command: FERRETDB_BINARY };
  const listen = ['--listen-addr', `127.0.0.1:${port}`];
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-ferretdb-'));
    return startProcess({
      ...spec,
      url: `mongodb://127.0.0.1:${port}/`,
      args: [...listen, '--dir', dir],
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    });
  }
  // FerretDB's update and delete on PostgreSQL take a second pooled connection while their query
  // holds one, so as many concurrent requests as pool connections deadlock it (every request
  // waiting for a second one). Its clients are kept well below: MONGO_CLIENT_CONNECTIONS each, and
  // a cluster has a handful of clients (registries, edges, the test's own).
  const postgres = await startPostgres(FERRETDB_POOL + 10);
  try {
    // As an operator of FerretDB v1 on PostgreSQL would (README, "Sizing"): lookups index-served.
    runPsql(postgres.url, ['--file', FERRETDB_LOOKUP_INDEXES]);
    const ferretDb = await startProcess({
      ...spec,
      url: `mongodb://127.0.0.1:${port}/?maxPoolSize=${MONGO_CLIENT_CONNECTIONS}`,
      args: [...listen, '--postgresql-url', `${postgres.url}?pool_max_conns=${FERRETDB_POOL}`],
      cleanup: () => postgres.stop(),
    });
    return Object.assign(ferretDb, { postgresUrl: postgres.url });
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}

const FERRETDB_LOOKUP_INDEXES = path.join(REPO_ROOT, 'deploy/ferretdb/postgresql-lookup-indexes.sql');

/** Runs psql with `args` (`--file F`, `--command C`…) on the PostgreSQL at `url`, stopping at the first error. */
export function runPsql(url: string, args: string[]): void {
  const psql = postgresProgram('psql');
  if (!psql) throw new Error('psql is not installed: `apt-get install postgresql` (it comes with the server)');
  try {
    execFileSync(psql, ['--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', ...args, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`psql ${args.join(' ')} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

const MONGO_CLIENT_CONNECTIONS = 10;
const FERRETDB_POOL = 100;

/**
 * Debian's PostgreSQL in a temporary directory (its unix socket there too) on a free loopback
 * port; `url` is its `postgres` database. postgres refuses to run as root, so as root the cluster
 * belongs to the `postgres` system user. Settings for tests, which kill processes but never the
 * machine: no fsync and no full-page writes (a killed postgres recovers from the WAL the kernel
 * already has); synchronous_commit stays on, so a commit is written to the kernel before it is
 * acknowledged and survives a kill -9 of postgres. 1.2–1.5 s to create and start on a loaded
 * 2-core machine (FerretDB on SQLite: 0.1 s).
 */
export async function startPostgres(maxConnections = 100): Promise<ServerHandle> {
  const [initdb, postgres] = [postgresProgram('initdb'), postgresProgram('postgres')];
  if (!initdb || !postgres)
    throw new Error(
      'PostgreSQL is not installed: run `npm test` as root (its pretest installs it with apt-get) or `apt-get install postgresql`',
    );
  const user = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  try {
    execFileSync(
      initdb,
      ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      {
        ...user,
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: String(maxConnections),
    fsync: 'off',
    full_page_writes: 'off',
  };
  return startProcess({
    name: 'postgres',
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    command: postgres,
    args: ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
    user,
    cwd: dir,
    // Clients are refused while it recovers after a kill, though the port is open.
    readyLine: 'database system is ready to accept connections',
    // SIGTERM (smart shutdown) would wait for every client, FerretDB's pooled connections included.
    stopSignal: 'SIGINT',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
}

export interface KafkaHandle extends ServerHandle {
  /** `host:port` of the broker's listener, for a client's bootstrap list. */
  bootstrap: string;
  /** `host:port` of the SASL_SSL listener, when asked for. */
  secureBootstrap?: string;
}

/**
 * A second listener as managed Kafka services offer one: SASL over TLS, with PLAIN and SCRAM
 * (SHA-256 and SHA-512) for one user, and the server certificate and key given (PEM; the key
 * unencrypted PKCS#8, as ensureLocalTlsMaterial writes it).
 */
export interface KafkaSecureListener {
  user: { name: string; password: string };
  certFile: string;
  keyFile: string;
}

/**
 * One Apache Kafka process in KRaft mode, broker and controller at once, on free loopback ports
 * with its own temporary log directory (formatted once, so restart() keeps every record). Single-
 * node settings: internal topics with one partition and one replica, no delay before the first
 * consumer-group rebalance, and no automatic topic creation (as on Yandex Data Streams, where a
 * stream exists before anything is written to it). 4–6 s to start here.
 */
export async function startKafka(options: { secure?: KafkaSecureListener } = {}): Promise<KafkaHandle> {
  const java = findOnPath('java');
  if (!java)
    throw new Error('Java is not installed: run `npm test` as root (its pretest installs openjdk-17-jre-headless) or install a JRE ≥ 17');
  if (!existsSync(KAFKA_JARS))
    throw new Error(
      `the Kafka jars are not fetched (${KAFKA_JARS} missing): run \`npm test\` (its pretest fetches them with Maven) or \`node dist/test/support/provision.js\``,
    );
  const [port, controllerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-kafka-'));
  const secure = options.secure;
  const secureListener = secure ? `,SASL_SSL://127.0.0.1:${securePort}` : '';
  const settings = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}${secureListener}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}${secureListener}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    ...(secure && secureListenerSettings(secure, dir)),
    'log.dirs': path.join(dir, 'data'),
    'num.partitions': '1',
    'auto.create.topics.enable': 'false',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'group.initial.rebalance.delay.ms': '0',
  };
  const properties = path.join(dir, 'server.properties');
  writeFileSync(
    properties,
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  // Warnings and errors, and the one line that says the server is up.
  const logConfig = path.join(dir, 'log4j2.properties');
  writeFileSync(
    logConfig,
    [
      'rootLogger.level=WARN',
      'rootLogger.appenderRef.stdout.ref=STDOUT',
      'appender.stdout.type=Console',
      'appender.stdout.name=STDOUT',
      'appender.stdout.layout.type=PatternLayout',
      'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
      'logger.started.name=kafka.server.KafkaRaftServer',
      'logger.started.level=INFO',
      '',
    ].join('\n'),
  );
  // A small heap and the quick-start JIT: the machine's two cores are shared with the tests.
  const jvm = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${logConfig}`];
  const classpath = ['-cp', `${KAFKA_JARS}/*`];
  try {
    // SCRAM credentials live in the cluster metadata: written when the log directory is formatted.
    const scram = secure
      ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
          '--add-scram',
          `${mechanism}=[name=${secure.user.name},password=${secure.user.password}]`,
        ])
      : [];
    execFileSync(java, [...jvm, ...classpath, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', properties, ...scram], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`formatting the Kafka log directory failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
  const handle = await startProcess({
    name: 'kafka',
    port,
    url: `kafka://127.0.0.1:${port}`,
    command: java,
    args: [...jvm, ...classpath, 'kafka.Kafka', properties],
    readyLine: 'Kafka Server started',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
  return Object.assign(handle, { bootstrap: `127.0.0.1:${port}`, ...(secure && { secureBootstrap: `127.0.0.1:${securePort}` }) });
}

function secureListenerSettings(secure: KafkaSecureListener, dir: string): Record<string, string> {
  // A PEM keystore is one file: the private key, then the certificate chain.
  const keystore = path.join(dir, 'keystore.pem');
  writeFileSync(keystore, `${readFileSync(secure.keyFile, 'utf8').trim()}\n${readFileSync(secure.certFile, 'utf8').trim()}\n`);
  const { name, password } = secure.user;
  return {
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': keystore,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${name}="${password}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
  };
}

/**
 * A KRaft cluster ID: 16 random bytes in URL-safe base64 without padding (what `kafka-storage
 * random-uuid` prints), never starting with '-', which Kafka's Uuid.randomUuid() avoids as well:
 * `format -t -…` takes it for an option and fails (1 start in 64 did in a test run).
 */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** uid and gid of a system user (from /etc/passwd). */
function systemUser(name: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (!entry) throw new Error(`no ${name} user to run PostgreSQL as (postgres refuses root): \`apt-get install postgresql\` creates it`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

interface ProcessSpec {
  name: string;
  port: number;
  url: string;
  command: string;
  args: string[];
  /** Run as this user instead of ours. */
  user?: { uid: number; gid: number };
  cwd?: string;
  /** A line the server prints once it serves (after the port opens). */
  readyLine?: string;
  stopSignal?: NodeJS.Signals;
  cleanup(): void | Promise<void>;
}

async function startProcess(spec: ProcessSpec): Promise<ServerHandle> {
  let child: ChildProcess;
  let log = '';
  const launch = async () => {
    child = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DO_NOT_TRACK: '1' },
      cwd: spec.cwd,
      ...spec.user,
    });
    let ready = spec.readyLine === undefined;
    let launchOutput = '';
    const append = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      if (ready) return;
      launchOutput = (launchOutput + chunk.toString()).slice(-1000);
      ready = launchOutput.includes(spec.readyLine!);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const alive = () => child.exitCode === null && child.signalCode === null;
    try {
      await waitForPort(spec.port, 30_000, alive);
      const deadline = Date.now() + 30_000;
      while (!ready) {
        if (!alive() || Date.now() > deadline) throw new Error(`no "${spec.readyLine}" within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(
        `${spec.name} did not start on port ${spec.port}: ${(error as Error).message}\n${log.split('\n').slice(-15).join('\n')}`,
      );
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill(spec.stopSignal ?? 'SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: spec.url,
    port: spec.port,
    get pid() {
      return child.pid;
    },
    stop: async () => {
      await stop();
      await spec.cleanup();
    },
    kill: (signal) => {
      child.kill(signal);
    },
    restart: async () => {
      await stop();
      await launch();
    },
    logTail: () => log,
  };
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    const candidate = path.join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
