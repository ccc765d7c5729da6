// `npm run bench`: the same scenarios against iotcore and its baselines, one broker at a time and
// alternating per scenario, in one run on one machine; prints the table and writes it to
// loadtest/results/. See loadtest/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensureLocalTlsMaterial } from '../../services/common/tls-material.js';
import { startFerretDb, startRedis } from '../../test/support/servers.js';
import { REPO_ROOT, TOOLS_DIR } from '../../test/support/tools.js';
import { freePort } from '../../test/support/ports.js';
import { startIotcore, startIotcoreCluster, startMosquitto, startPlainAedes, type RunningBroker, type TlsFiles } from './brokers.js';
import { ensureFleet, type Fleet } from './fleet.js';
import { startImportedIotcore } from './imported-fleet.js';
import {
  anonymousDialect,
  credentialedDialect,
  commands,
  fanIn,
  fanOut,
  firstConnects,
  stormAndIdle,
  yandexDialect,
  type CostMeter,
  type Dialect,
  type Figures,
  type Settings,
} from './scenarios.js';
import {
  AEDES,
  AEDES_CLUSTER,
  IOTCORE,
  IOTCORE_CLUSTER,
  MOSQUITTO,
  MOSQUITTO_AUTH,
  buildRows,
  markdownTable,
  writeReport,
} from './report.js';
import { summarizeCpuProfiles } from './profile-summary.js';
import { medianFigures, roundRatioNotes } from './rounds.js';
import { integerOption, listOption, parseCommandLine, UsageError } from '../command-line.js';

/** The cost meter of a broker without Redis: its CPU only. */
const NO_REDIS: CostMeter = { redisCommands: async () => 0 };

const USAGE = `usage: npm run bench -- [options]
  --quick               a short run: seconds per scenario, a small fleet (what npm test runs)
  --only LIST           scenarios to run, of a,b,c,d,e,f,g,h (all; the table in loadtest/README.md)
  --brokers LIST        mosquitto,mosquitto-auth,aedes,iotcore: which brokers (all four)
  --qos 0,1             QoS levels of the fan-in and fan-out scenarios (0,1)
  --devices N           devices of the fan-in, commands and fan-out scenarios (1000; --quick: 20)
  --storm-devices N     devices of the connect storms (d) and of the imported fleet (h) (5000; --quick: 20)
  --idle N              idle TLS connections for the RSS figure (10000; --quick: 40)
  --seconds S           measured part of each run, after the warm-up (5; --quick: 0.5)
  --rounds N            run the throughput scenarios (a, b, c) N times, the brokers taking turns in each
                        round; the table gives each broker's median, the notes every round's ratio (1)
  --profile             run iotcore and plain aedes with --cpu-prof and summarise each one's top self-time functions
  --out DIR             where bench.md and bench.json go (loadtest/results)
  --work-dir DIR        fleets, data dirs and broker configs, kept between runs (.tools/bench); another
                        directory keeps two runs at once apart
  -h, --help            this text`;

const { quick, profile, outDir, workDir, scenarios, brokers, qosLevels, sizes, rounds } = parseCommandLine(
  {
    options: {
      quick: { type: 'boolean', default: false },
      devices: { type: 'string' },
      'storm-devices': { type: 'string' },
      idle: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      'work-dir': { type: 'string' },
      profile: { type: 'boolean', default: false },
      brokers: { type: 'string' },
      qos: { type: 'string' },
    },
    allowPositionals: true,
  },
  USAGE,
  ({ values: args, positionals }) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const quick = args.quick;
    const seconds = Number(args.seconds ?? (quick ? 0.5 : 5));
    if (!(seconds > 0)) throw new UsageError(`--seconds ${args.seconds}: expected a number of seconds > 0`);
    return {
      quick,
      profile: args.profile,
      outDir: args.out,
      workDir: path.resolve(args['work-dir'] ?? path.join(TOOLS_DIR, 'bench')),
      scenarios: listOption('--only', args.only ?? 'a,b,c,d,e,f,g,h', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']),
      brokers: listOption('--brokers', args.brokers ?? 'mosquitto,mosquitto-auth,aedes,iotcore', [
        'mosquitto',
        'mosquitto-auth',
        'aedes',
        'iotcore',
      ]),
      qosLevels: [...listOption('--qos', args.qos ?? '0,1', ['0', '1'])].map((qos) => Number(qos) as 0 | 1),
      sizes: {
        devices: integerOption('--devices', args.devices ?? (quick ? '20' : '1000')),
        stormDevices: integerOption('--storm-devices', args['storm-devices'] ?? (quick ? '20' : '5000')),
        idleConnections: integerOption('--idle', args.idle ?? (quick ? '40' : '10000'), 0),
        durationMs: seconds * 1000,
      },
      rounds: integerOption('--rounds', args.rounds ?? '1'),
    };
  },
);
const log = (line: string) => console.log(`bench: ${line}`);

async function main(): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const tlsMaterial = await ensureLocalTlsMaterial(path.join(workDir, 'tls-data'), []);
  const tls: TlsFiles = { caFile: tlsMaterial.caFile, certFile: tlsMaterial.certFile, keyFile: tlsMaterial.keyFile };
  const settings: Settings = {
    ...sizes,
    warmupMs: quick ? 200 : 2000,
    threads: 2,
    payloadBytes: 64,
    caFile: tls.caFile,
  };
  const fleetSize = Math.max(settings.devices, scenarios.has('d') || scenarios.has('e') ? settings.stormDevices : 0);
  const fleet = await ensureFleet(path.join(workDir, quick ? 'fleet-quick' : 'fleet'), fleetSize, tls, log);
  // Mosquitto's password file holds the clients of every scenario run, (h)'s too.
  const passwordFileSize = Math.max(fleetSize, scenarios.has('h') ? settings.stormDevices : 0);
  // One directory per profiled broker, summarised apart: plain aedes' profile is the baseline to read iotcore's against.
  const profileRoot = profile ? path.join(workDir, `profile-${Date.now()}`) : undefined;
  const profileDirs =
    profileRoot === undefined ? undefined : { iotcore: path.join(profileRoot, 'iotcore'), aedes: path.join(profileRoot, 'plain-aedes') };
  const perRound = Array.from(
    { length: rounds },
    (): Record<string, Figures> => ({
      [MOSQUITTO]: {},
      [MOSQUITTO_AUTH]: {},
      [AEDES]: {},
      [IOTCORE]: {},
    }),
  );

  // Mosquitto first in every scenario: the paced runs use half of its peak.
  const single: Array<{ name: string; key: string; dialect: Dialect; start(): Promise<RunningBroker> }> = [
    { name: MOSQUITTO, key: 'mosquitto', dialect: anonymousDialect(), start: () => startMosquitto({ workDir, tls }) },
    {
      name: MOSQUITTO_AUTH,
      key: 'mosquitto-auth',
      dialect: credentialedDialect(),
      start: () => startMosquitto({ workDir, tls, auth: { devices: passwordFileSize } }),
    },
    { name: AEDES, key: 'aedes', dialect: anonymousDialect(), start: () => startPlainAedes({ tls, cpuProfileDir: profileDirs?.aedes }) },
    {
      name: IOTCORE,
      key: 'iotcore',
      dialect: yandexDialect(fleet),
      start: async () => startIotcore({ dataDir: fleet.dataDir, apiPort: await freePort(), tls, cpuProfileDir: profileDirs?.iotcore }),
    },
  ].filter((target) => brokers.has(target.key));
  type Target = (typeof single)[number];
  const started = async (target: Target) => ({ broker: await target.start(), dialect: target.dialect });
  const notes: string[] = [];
  const phases: Array<{
    key: string;
    title: string;
    /** How each broker is started for this phase (default: `start()` with its dialect). */
    start?(target: Target): Promise<{ broker: RunningBroker; dialect: Dialect }>;
    /** `round`: every broker's figures of this round, `figures` among them. */
    run(broker: RunningBroker, dialect: Dialect, figures: Figures, round: Record<string, Figures>): Promise<void>;
  }> = [
    ...qosLevels.map((qos) => ({
      key: 'a',
      title: `fan-in QoS ${qos}: ${settings.devices} devices → 1 consumer`,
      run: (broker: RunningBroker, dialect: Dialect, figures: Figures, round: Record<string, Figures>) =>
        fanIn(broker, dialect, settings, qos, pacedRate(round, figures, `a.qos${qos}.rate`), figures, 'a', NO_REDIS),
    })),
    {
      key: 'b',
      title: `commands: registry → ${settings.devices} devices`,
      run: (broker, dialect, figures) => commands(broker, dialect, settings, figures),
    },
    ...qosLevels.map((qos) => ({
      key: 'c',
      title: `fan-out QoS ${qos}: 1 publisher → ${settings.devices} subscribers`,
      run: (broker: RunningBroker, dialect: Dialect, figures: Figures) => fanOut(broker, dialect, settings, qos, figures),
    })),
    {
      key: 'd',
      title: `connect storm of ${settings.stormDevices}, then ${settings.idleConnections} idle connections, then a restart and a storm`,
      start: async (target) => {
        // The fleet's data dir is kept between runs, and with it the passwords verified in earlier ones.
        if (target.key === 'iotcore') await rm(path.join(fleet.dataDir, 'credential-cache'), { recursive: true, force: true });
        return started(target);
      },
      run: (broker, dialect, figures) => stormAndIdle(broker, dialect, settings, figures),
    },
    {
      key: 'h',
      title: `first connects of ${settings.stormDevices} devices just imported`,
      start: async (target) => {
        if (target.key !== 'iotcore') return started(target);
        log(`importing ${settings.stormDevices} devices with their passwords into a fresh iotcore`);
        const imported = await startImportedIotcore({ workDir, size: settings.stormDevices, tls, cpuProfileDir: profileDirs?.iotcore });
        notes.push(
          `- (h) \`iotcore import yandex --dump --passwords-file\` of ${settings.stormDevices} devices (one password each) into a fresh \`iotcore serve\` took ${imported.importSeconds.toFixed(1)} s before the storm.`,
        );
        return { broker: imported.broker, dialect: yandexDialect(imported.fleet) };
      },
      run: (broker, dialect, figures) => firstConnects(broker, dialect, settings, figures),
    },
  ];
  for (const phase of phases) {
    if (!scenarios.has(phase.key) && !(phase.key === 'd' && scenarios.has('e'))) continue;
    const repeats = ROUNDED_SCENARIOS.has(phase.key) ? rounds : 1;
    for (let r = 0; r < repeats; r++)
      for (const target of single) {
        log(`${phase.title} — ${target.name}${repeats > 1 ? ` (round ${r + 1} of ${repeats})` : ''}`);
        const { broker, dialect } = await (phase.start ?? started)(target);
        const round = perRound[r]!;
        try {
          await phase.run(broker, dialect, round[target.name]!, round);
        } catch (error) {
          if (broker.alive()) throw error;
        } finally {
          if (!broker.alive()) {
            const last =
              broker
                .logTail()
                .trim()
                .split('\n')
                .filter((line) => /Error|error/.test(line))
                .slice(-1)[0] ?? 'no output';
            const when = repeats > 1 ? ` (round ${r + 1})` : '';
            notes.push(`- **${target.name} crashed** during "${phase.title}"${when}: \`${last.slice(0, 200)}\``);
            round[target.name]![`${phase.key}.crashed`] = 1;
            log(`${target.name} crashed: ${last}`);
          }
          await broker.stop();
        }
      }
  }
  const results = medianFigures(perRound);
  if (rounds > 1)
    notes.push(
      '',
      `## ${rounds} rounds`,
      '',
      `Scenarios a, b and c ran ${rounds} times, the brokers taking turns in each round; the table gives each broker's median.`,
      '',
      ...roundRatioNotes(perRound),
    );
  if (scenarios.has('f')) Object.assign(results, await clusterFanIn(fleet, settings, tls));
  if (scenarios.has('g')) notes.push(...(await scaling(fleet, settings, tls)));

  const rows = buildRows(results);
  notes.unshift(
    'Brokers: Mosquitto with max_inflight_messages 0 and max_queued_messages 100000 (its stronger setting), anonymous and',
    "with auth (a password_file in mosquitto_passwd's default PBKDF2-SHA512 hashing and an acl_file giving each client the",
    'topics the Yandex model gives it); plain aedes with',
    'its defaults, no authentication and no ACL; iotcore all-in-one with its defaults (passwords, ACL, Yandex topics, LevelDB',
    'state, connection logs at info). Every broker listens on TLS with the same certificate; the load generator (mqtt.js in',
    `${settings.threads} publishing threads and a receiving thread) runs on the same ${os.cpus().length} cores, so figures are ratios for this`,
    'machine, not capacities.',
    '',
    '(d) restart: every process of each broker is stopped and started again on the same data and ports after the first',
    "and reconnect rounds and the idle connections (e), then every device connects; iotcore's first connects find the",
    "passwords verified before the restart (DATA_DIR/credential-cache), the baselines' are just reconnects (they remember",
    'nothing: Mosquitto checks its password file, plain aedes nothing). (h): iotcore is a fresh `iotcore serve` into which',
    'the fleet was just imported from a `yc` dump with `--passwords-file`; the baselines are freshly started with their',
    'password file (Mosquitto with auth) or none, so their figure is again a plain connect storm.',
    '',
  );
  for (const [name, dir] of [
    ['iotcore', profileDirs?.iotcore],
    ['plain aedes', profileDirs?.aedes],
  ] as const) {
    if (dir && existsSync(dir))
      notes.push('', `## CPU profile of ${name} during the run (self time)`, '', await summarizeCpuProfiles(dir, 25));
  }
  const report = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    settings,
    results,
    rows,
    notes,
  };
  const out = path.resolve(outDir ?? path.join(REPO_ROOT, 'loadtest/results'));
  const written = await writeReport(out, report);
  console.log(`\n${markdownTable(rows)}\n`);
  log(`written ${written.markdown} and ${written.json}`);
  if (quick) await rm(path.join(workDir, 'fleet-quick', 'mqtt'), { recursive: true, force: true });
}

/** The scenarios `--rounds` repeats: throughput, which the noise of a shared machine moves most. */
const ROUNDED_SCENARIOS = new Set(['a', 'b', 'c']);

/** Half of Mosquitto's peak in this round for the paced runs (Mosquitto's own paced run uses its fresh figure). */
function pacedRate(round: Record<string, Figures>, current: Figures, id: string): () => number | undefined {
  return () => {
    const peak = round[MOSQUITTO]![id] ?? current[id];
    return peak ? Math.max(1, Math.round(peak / 2)) : undefined;
  };
}

async function clusterFanIn(fleet: Fleet, settings: Settings, tls: TlsFiles): Promise<Record<string, Figures>> {
  const results: Record<string, Figures> = { [AEDES_CLUSTER]: {}, [IOTCORE_CLUSTER]: {} };
  const [redis, mongo] = await Promise.all([startRedis(), startFerretDb('postgresql')]);
  try {
    const targets: Array<{ name: string; dialect: Dialect; start(): Promise<RunningBroker> }> = [
      {
        name: AEDES_CLUSTER,
        dialect: anonymousDialect(),
        start: () => startPlainAedes({ tls, cluster: { redisUrl: redis.url, mongoUrl: mongo.url } }),
      },
      {
        name: IOTCORE_CLUSTER,
        dialect: yandexDialect(fleet),
        start: () => startIotcoreCluster({ dataDir: fleet.dataDir, token: fleet.token, tls, redisUrl: redis.url, mongoUrl: mongo.url }),
      },
    ];
    for (const target of targets) {
      log(`cluster fan-in through 2 edges — ${target.name}`);
      const broker = await target.start();
      try {
        for (const qos of qosLevels) await fanIn(broker, target.dialect, settings, qos, undefined, results[target.name]!, 'f');
      } finally {
        await broker.stop();
      }
    }
  } finally {
    await Promise.all([redis.stop(), mongo.stop()]);
  }
  return results;
}

/** (g)'s open-loop rate, the same for every broker: under the slowest one's peak (the channel bus on one edge). */
const SCALING_PACED_RATE = { 0: 20_000, 1: 4_000 } as const;

/**
 * (g) scaling: the fan-in of (a) through 1, 2 and 3 edges on each cluster bus, with the edges' CPU
 * time and the Redis commands of the whole cluster per delivered message, next to the all-in-one
 * process and the stock aedes cluster. Returns its table for the report's notes.
 */
async function scaling(fleet: Fleet, settings: Settings, tls: TlsFiles): Promise<string[]> {
  const [redis, mongo] = await Promise.all([startRedis(), startFerretDb('postgresql')]);
  const stats = new Redis(redis.url);
  const meter: CostMeter = { redisCommands: async () => redisCommandCount(await stats.info('commandstats')) };
  const cluster = { redisUrl: redis.url, mongoUrl: mongo.url };
  const targets: Array<{ label: string; dialect: Dialect; start(): Promise<RunningBroker> }> = [
    {
      label: 'iotcore all-in-one',
      dialect: yandexDialect(fleet),
      start: async () => startIotcore({ dataDir: fleet.dataDir, apiPort: await freePort(), tls }),
    },
    ...(['channels', 'routes'] as const).flatMap((bus) =>
      [1, 2, 3].map((edges) => ({
        label: `iotcore, ${edges} edge${edges > 1 ? 's' : ''}, ${bus} bus`,
        dialect: yandexDialect(fleet),
        start: () => startIotcoreCluster({ dataDir: fleet.dataDir, token: fleet.token, tls, ...cluster, edges, bus }),
      })),
    ),
    { label: 'aedes + mqemitter-redis, 2 nodes', dialect: anonymousDialect(), start: () => startPlainAedes({ tls, cluster }) },
  ];
  const rows: string[] = [];
  try {
    for (const target of targets) {
      log(`scaling: fan-in — ${target.label}`);
      const broker = await target.start();
      try {
        for (const qos of qosLevels) {
          const figures: Figures = {};
          await fanIn(broker, target.dialect, settings, qos, () => SCALING_PACED_RATE[qos], figures, 'g', meter);
          const figure = (name: string, digits: number) =>
            (figures[`g.qos${qos}.${name}`] ?? Number.NaN).toLocaleString('en', {
              maximumFractionDigits: digits,
              minimumFractionDigits: digits,
            });
          rows.push(
            `| ${target.label} | ${qos} | ${figure('rate', 0)} | ${figure('cpu-us', 1)} | ${figure('redis-ops', 2)} | ${figure('paced.rate', 0)} | ${figure('paced.cpu-us', 1)} | ${figure('paced.p99', 1)} |`,
          );
        }
      } finally {
        await broker.stop();
      }
    }
  } finally {
    stats.disconnect();
    await Promise.all([redis.stop(), mongo.stop()]);
  }
  return [
    '',
    '## (g) Scaling: the fan-in of (a) through 1, 2 and 3 edges',
    '',
    "CPU is the MQTT-serving processes' (the edges of a cluster; not the registry, Redis or the database) per delivered",
    "message over the measured window; Redis commands are the whole Redis server's (the edges' lease renewals included).",
    `Then the same at a fixed offered rate for every broker (${SCALING_PACED_RATE[0].toLocaleString('en')} msg/s at QoS 0, ${SCALING_PACED_RATE[1].toLocaleString('en')} at QoS 1, below each one's peak):`,
    'CPU per message at equal load, where each broker at its own peak batches differently.',
    '',
    '| broker | QoS | delivered msg/s | CPU µs per message | Redis commands per message | at fixed rate: delivered msg/s | CPU µs per message | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

/** The sum of `calls=` over INFO commandstats: every command the server ran. */
function redisCommandCount(commandstats: string): number {
  return [...commandstats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

function machine(): Record<string, string> {
  const version = (command: string, args: string[]) => {
    // `mosquitto -h` prints its version and exits non-zero.
    let output: string;
    try {
      output = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? '');
    }
    return output.split('\n')[0]!.trim() || 'unknown';
  };
  return {
    date: new Date().toISOString(),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    mosquitto: version('/usr/sbin/mosquitto', ['-h']),
    os: `${os.type()} ${os.release()}`,
  };
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
