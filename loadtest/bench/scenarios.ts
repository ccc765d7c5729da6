// The benchmark scenarios (loadtest/README.md): the same load against every broker, in each
// broker's own dialect — Yandex topics and passwords for iotcore, the same topic shapes without
// the `$` and without credentials for the baselines.
import { readFile } from 'node:fs/promises';
import { LoadGenerator, sleep, type RunResult } from './load.js';
import type { ClientSpec } from './load-protocol.js';
import type { Fleet } from './fleet.js';
import type { RunningBroker } from './brokers.js';

export interface Dialect {
  device(index: number): ClientSpec;
  registry(clientId: string): ClientSpec;
  deviceEvents(index: number): string;
  deviceCommands(index: number): string;
  /** What a registry subscribes to for the events of all its devices. */
  allEvents: string;
  /** The registry-wide commands topic every device subscribes to. */
  broadcastCommands: string;
}

export function yandexDialect(fleet: Fleet): Dialect {
  const device = (index: number) => fleet.devices[index % fleet.devices.length]!;
  return {
    device: (index) => ({ clientId: `device-${index}`, username: device(index).id, password: device(index).password }),
    registry: (clientId) => ({ clientId, username: fleet.registry.id, password: fleet.registry.password }),
    deviceEvents: (index) => `$devices/${device(index).id}/events`,
    deviceCommands: (index) => `$devices/${device(index).id}/commands`,
    allEvents: '$devices/+/events',
    broadcastCommands: `$registries/${fleet.registry.id}/commands`,
  };
}

/** The baselines' topics with a username and password per client, for Mosquitto's password file and ACL. */
export function credentialedDialect(): Dialect {
  const anonymous = anonymousDialect();
  return {
    ...anonymous,
    device: (index) => ({ ...anonymous.device(index), username: `device-${index}`, password: benchDevicePassword(index) }),
    registry: (clientId) => ({ clientId, username: BENCH_REGISTRY.username, password: BENCH_REGISTRY.password }),
  };
}

export const BENCH_REGISTRY = { username: 'registry', password: 'Bench-Registry-Passw0rd' };
export const benchDevicePassword = (index: number) => `Bench-Device-${index}-Passw0rd`;

export function anonymousDialect(): Dialect {
  return {
    device: (index) => ({ clientId: `device-${index}` }),
    registry: (clientId) => ({ clientId }),
    deviceEvents: (index) => `devices/device-${index}/events`,
    deviceCommands: (index) => `devices/device-${index}/commands`,
    allEvents: 'devices/+/events',
    broadcastCommands: 'registries/bench/commands',
  };
}

export interface Settings {
  devices: number;
  stormDevices: number;
  idleConnections: number;
  warmupMs: number;
  durationMs: number;
  threads: number;
  payloadBytes: number;
  caFile: string;
}

/** Figures of one broker, keyed by measurement id (see report.ts for their names). */
export type Figures = Record<string, number>;

/** Publishing threads: `settings.threads` in all, split over the broker's endpoints; one receiving thread per endpoint. */
async function generator(
  broker: RunningBroker,
  settings: Settings,
  options: { subscribeQos?: 0 | 1; keepaliveSeconds?: number } = {},
): Promise<LoadGenerator> {
  const producerThreads = Math.max(1, Math.floor(settings.threads / broker.urls.length));
  return LoadGenerator.start({
    urls: broker.urls,
    ca: await readFile(settings.caFile, 'utf8'),
    producerThreads,
    consumerThreads: 1,
    ...options,
  });
}

function record(figures: Figures, key: string, result: RunResult): void {
  figures[`${key}.rate`] = result.deliveredPerSecond;
  figures[`${key}.p50`] = result.latencyMs.p50;
  figures[`${key}.p99`] = result.latencyMs.p99;
  if (result.errors) figures[`${key}.errors`] = result.errors;
}

/**
 * (a) fan-in: every device publishes its events, one registry subscriber receives them all, as
 * fast as the broker delivers them (a closed loop of 1 message in flight per device); then at a
 * fixed rate (`pacedRate`: half of Mosquitto's peak) for latency at a given load.
 */
export async function fanIn(
  broker: RunningBroker,
  dialect: Dialect,
  settings: Settings,
  qos: 0 | 1,
  pacedRate: (() => number | undefined) | undefined,
  figures: Figures,
  prefix = 'a',
  meter?: CostMeter,
): Promise<void> {
  const load = await generator(broker, settings, { subscribeQos: qos });
  try {
    await load.connect([{ ...dialect.registry('bench-consumer'), subscribe: [dialect.allEvents] }], 1);
    // In a cluster the devices are spread over the edges, the consumer on the first one.
    const devices = Array.from({ length: settings.devices }, (_, i) => ({ ...dialect.device(i), publishTo: [dialect.deviceEvents(i)] }));
    const connected = await connectSpread(broker, load, devices);
    if (connected < devices.length) figures[`${prefix}.connect-failures`] = devices.length - connected;
    const costs = meter && costWindow(broker, meter);
    const result = await load.run(
      { qos, window: settings.devices, slotsPerClient: 1, fanout: 1, payloadBytes: settings.payloadBytes },
      settings.warmupMs,
      settings.durationMs,
      costs?.window,
    );
    record(figures, `${prefix}.qos${qos}`, result);
    if (costs) recordCosts(figures, `${prefix}.qos${qos}`, costs.spent(), result.delivered);
    const rate = pacedRate?.();
    if (rate) {
      const pacedCosts = meter && costWindow(broker, meter);
      const paced = await load.run(
        { qos, window: 0, rate, slotsPerClient: 1, fanout: 1, payloadBytes: settings.payloadBytes },
        settings.warmupMs,
        settings.durationMs,
        pacedCosts?.window,
      );
      record(figures, `${prefix}.qos${qos}.paced`, paced);
      if (pacedCosts) recordCosts(figures, `${prefix}.qos${qos}.paced`, pacedCosts.spent(), paced.delivered);
    }
    await load.disconnect();
  } finally {
    await load.close();
  }
}

/** What delivering costs besides time: Redis commands of the whole cluster (none without Redis). */
export interface CostMeter {
  redisCommands(): Promise<number>;
}

function recordCosts(figures: Figures, key: string, spent: { cpuSeconds: number; redisCommands: number }, delivered: number): void {
  figures[`${key}.cpu-us`] = (spent.cpuSeconds * 1e6) / delivered;
  figures[`${key}.redis-ops`] = spent.redisCommands / delivered;
}

/** The broker's CPU time and the Redis commands spent between the start and the end of a measured window. */
function costWindow(broker: RunningBroker, meter: CostMeter) {
  const read = async () => ({ cpuSeconds: await broker.cpuSeconds(), redisCommands: await meter.redisCommands() });
  let start = { cpuSeconds: 0, redisCommands: 0 };
  let end = start;
  return {
    window: {
      started: async () => {
        start = await read();
      },
      ended: async () => {
        end = await read();
      },
    },
    spent: () => ({ cpuSeconds: end.cpuSeconds - start.cpuSeconds, redisCommands: end.redisCommands - start.redisCommands }),
  };
}

/** Connects the devices spread evenly over the broker's endpoints (the edges of a cluster). */
async function connectSpread(broker: RunningBroker, load: LoadGenerator, devices: ClientSpec[]): Promise<number> {
  const endpoints = broker.urls.length;
  const results = await Promise.all(
    broker.urls.map((_, endpoint) =>
      load.connect(
        devices.filter((_, i) => i % endpoints === endpoint),
        50,
        { endpoint },
      ),
    ),
  );
  return results.reduce((sum, result) => sum + result.connected, 0);
}

/** (b) point-to-point commands: the registry sends each device its own commands, in turn. */
export async function commands(broker: RunningBroker, dialect: Dialect, settings: Settings, figures: Figures): Promise<void> {
  const load = await generator(broker, settings, { subscribeQos: 1 });
  try {
    await load.connect(
      Array.from({ length: settings.devices }, (_, i) => ({ ...dialect.device(i), subscribe: [dialect.deviceCommands(i)] })),
      50,
      { spread: true },
    );
    const topics = Array.from({ length: settings.devices }, (_, i) => dialect.deviceCommands(i));
    await load.connect([{ ...dialect.registry('bench-commander'), publishTo: topics }], 1);
    record(
      figures,
      'b.qos1',
      await load.run(
        { qos: 1, window: 1000, slotsPerClient: 1000, fanout: 1, payloadBytes: settings.payloadBytes },
        settings.warmupMs,
        settings.durationMs,
      ),
    );
    await load.disconnect();
  } finally {
    await load.close();
  }
}

/** (c) fan-out: one registry publishes to the commands topic all devices subscribe to. */
export async function fanOut(broker: RunningBroker, dialect: Dialect, settings: Settings, qos: 0 | 1, figures: Figures): Promise<void> {
  const load = await generator(broker, settings, { subscribeQos: qos });
  try {
    await load.connect(
      Array.from({ length: settings.devices }, (_, i) => ({ ...dialect.device(i), subscribe: [dialect.broadcastCommands] })),
      50,
      { spread: true },
    );
    await load.connect([{ ...dialect.registry('bench-broadcaster'), publishTo: [dialect.broadcastCommands] }], 1);
    // Up to 20 broadcasts in flight: 20 × devices deliveries outstanding.
    record(
      figures,
      `c.qos${qos}`,
      await load.run(
        { qos, window: 20 * settings.devices, slotsPerClient: 20, fanout: settings.devices, payloadBytes: settings.payloadBytes },
        settings.warmupMs,
        settings.durationMs,
      ),
    );
    await load.disconnect();
  } finally {
    await load.close();
  }
}

/**
 * (d) connect storm: every device connects (TLS, password) as fast as the broker accepts, then all
 * disconnect and connect again; (e) idle: then `idleConnections` connections stay open, and the
 * broker's resident memory grows by this much per connection; (d) restart storm: then every
 * process of the broker is stopped and started again, and every device connects once more.
 */
export async function stormAndIdle(broker: RunningBroker, dialect: Dialect, settings: Settings, figures: Figures): Promise<void> {
  const load = await generator(broker, settings, { keepaliveSeconds: 600 });
  try {
    const devices = Array.from({ length: settings.stormDevices }, (_, i) => dialect.device(i));
    for (const round of ['first', 'reconnect']) {
      await storm(broker, load, devices, figures, `d.${round}`);
      await load.disconnect();
      // The broker ends every session before the next round (2 s; a tenth of it in a --quick run of 20 devices).
      await sleep(settings.warmupMs);
    }

    const before = await broker.rssBytes();
    // Each device twice (two client IDs) when the fleet is smaller than the connection count.
    const idle = Array.from({ length: settings.idleConnections }, (_, i) => ({
      ...dialect.device(i % settings.stormDevices),
      clientId: `idle-${i}`,
      subscribe: [dialect.deviceCommands(i % settings.stormDevices)],
    }));
    const opened = await load.connect(idle, 100, { spread: true });
    // Resident memory settles (5 s for 10,000 connections; half a second in a --quick run of 40).
    await sleep(settings.warmupMs * 2.5);
    const after = await broker.rssBytes();
    figures['e.connections'] = opened.connected;
    figures['e.rss-per-connection'] = (after - before) / Math.max(1, opened.connected);
    figures['e.rss'] = after;
    await load.disconnect();

    // A restart would hide a crash from the caller, which looks at alive() once the scenario ends.
    if (!broker.alive()) throw new Error(`${broker.name} exited before the restart`);
    await broker.restart();
    await storm(broker, load, devices, figures, 'd.restart');
    await load.disconnect();
  } finally {
    await load.close();
  }
}

/**
 * (h) first connects after an import: every device of a fleet the broker has just been given
 * (for iotcore, `import yandex --passwords-file`; for the baselines, their password file or
 * nothing, read at start) connects for the first time.
 */
export async function firstConnects(broker: RunningBroker, dialect: Dialect, settings: Settings, figures: Figures): Promise<void> {
  const load = await generator(broker, settings, { keepaliveSeconds: 600 });
  try {
    await storm(
      broker,
      load,
      Array.from({ length: settings.stormDevices }, (_, i) => dialect.device(i)),
      figures,
      'h',
    );
    await load.disconnect();
  } finally {
    await load.close();
  }
}

/**
 * Connects every device, 100 at a time per thread, as fast as the broker accepts: connects/s, p99,
 * the broker's CPU per connect (its main thread and its pools together) and failures under `key`.
 */
async function storm(broker: RunningBroker, load: LoadGenerator, devices: ClientSpec[], figures: Figures, key: string): Promise<void> {
  const cpuBefore = await broker.cpuSeconds();
  const result = await load.connect(devices, 100, { spread: true });
  figures[`${key}.cpu-us`] = (((await broker.cpuSeconds()) - cpuBefore) * 1e6) / Math.max(1, result.connected);
  figures[`${key}.rate`] = result.connected / result.seconds;
  figures[`${key}.p99`] = result.connectMs.p99;
  if (result.connected < devices.length) figures[`${key}.failures`] = devices.length - result.connected;
}
