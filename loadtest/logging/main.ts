// `npm run bench:logging`: does logging connection events slow the MQTT path when the log store stalls
// (issue #16: within 10% of logging off)? One edge process per run, the load from this process:
//   * throughput: devices publishing QoS 1 closed-loop (one message in flight each) to their events topic, a
//     registry receiving them all; the figure is deliveries per second;
//   * meanwhile, churn that makes log events as fast as it can: connect, a refused SUBSCRIBE, a refused PUBLISH
//     that closes the connection (four events a round: connected, subscribe_denied, publish_denied, disconnected).
//     No wrong passwords: the brute-force brake would soon refuse the load generator's address.
// Modes alternate (off, stalled, healthy, off, stalled, healthy, …) so drift of the machine hits them alike; the
// report gives each mode's median next to off's. Figures are ratios for this machine (loadtest/README.md).
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { integerOption, parseCommandLine } from '../command-line.js';
import { median } from '../statistics.js';
import { MODES, PASSWORD, REGISTRY_ID, type LoggingMode } from './bench-fleet.js';

const EDGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'edge-process.js');

const USAGE = `usage: npm run bench:logging -- [options]
  --rounds N      runs of each mode, alternating (3)
  --seconds N     measured seconds of each run, after 1 s of warm-up (8)
  --devices N     publishing devices (20)
  --churn N       concurrent connect/refuse/refuse loops (4)
  --out FILE      where the Markdown report goes (loadtest/results/logging.md)
  -h, --help      this text`;

const settings = parseCommandLine(
  {
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '8' },
      devices: { type: 'string', default: '20' },
      churn: { type: 'string', default: '4' },
      out: { type: 'string', default: 'loadtest/results/logging.md' },
    },
  },
  USAGE,
  ({ values }) => ({
    rounds: integerOption('--rounds', values.rounds),
    seconds: integerOption('--seconds', values.seconds),
    devices: integerOption('--devices', values.devices),
    churn: integerOption('--churn', values.churn),
    out: values.out,
  }),
);

interface RunFigures {
  mode: LoggingMode;
  deliveredPerSecond: number;
  churnRoundsPerSecond: number;
  dropped: number;
  written: number;
}

async function startEdge(mode: LoggingMode) {
  const child = spawn(process.execPath, [EDGE, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  // An edge left behind by a failed run would keep its port and its CPU.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const match = /port (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`edge exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      process.off('exit', kill);
      const match = /dropped (\d+) written (\d+)/.exec(output);
      return { dropped: Number(match?.[1] ?? 0), written: Number(match?.[2] ?? 0) };
    },
  };
}

const connect = (port: number, username: string, password: string, clientId: string) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, clientId, reconnectPeriod: 0, protocolVersion: 4 });

async function measure(mode: LoggingMode): Promise<RunFigures> {
  const edge = await startEdge(mode);
  const receiver = await connect(edge.port, REGISTRY_ID, PASSWORD, 'receiver');
  await receiver.subscribeAsync('$devices/+/events', { qos: 1 });
  let delivered = 0;
  receiver.on('message', () => delivered++);
  const devices: MqttClient[] = [];
  for (let i = 0; i < settings.devices; i++) devices.push(await connect(edge.port, `benchdevice${i}`, PASSWORD, `publisher-${i}`));

  let running = true;
  const payload = Buffer.alloc(64, 'x');
  const publishing = devices.map(async (client, i) => {
    while (running) await client.publishAsync(`$devices/benchdevice${i}/events`, payload, { qos: 1 });
  });
  let churnRounds = 0;
  const churning = Array.from({ length: settings.churn }, async (_, loop) => {
    const username = `benchdevice${settings.devices + loop}`;
    while (running) {
      const client = await connect(edge.port, username, PASSWORD, `churn-${loop}`);
      // Refused (SUBACK 0x80), which mqtt.js reports as an error: the refusal is the point.
      await client.subscribeAsync('$devices/someone-else/commands', { qos: 0 }).catch(() => undefined);
      // Refused too: the edge closes the connection (publish_denied, then disconnected).
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish('$devices/someone-else/commands', 'not mine');
      await closed;
      churnRounds++;
    }
  });

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const [startDelivered, startChurn, started] = [delivered, churnRounds, performance.now()];
  await new Promise((resolve) => setTimeout(resolve, settings.seconds * 1000));
  const seconds = (performance.now() - started) / 1000;
  const figures = {
    deliveredPerSecond: (delivered - startDelivered) / seconds,
    churnRoundsPerSecond: (churnRounds - startChurn) / seconds,
  };
  running = false;
  await Promise.all([...publishing, ...churning]);
  await Promise.all([...devices, receiver].map((client) => client.endAsync()));
  return { mode, ...figures, ...(await edge.stop()) };
}

const runs: RunFigures[] = [];
for (let round = 0; round < settings.rounds; round++) {
  for (const mode of MODES) {
    const figures = await measure(mode);
    runs.push(figures);
    process.stderr.write(
      `round ${round + 1} ${mode.padEnd(7)} ${figures.deliveredPerSecond.toFixed(0)} msg/s, ${figures.churnRoundsPerSecond.toFixed(0)} churn rounds/s, dropped ${figures.dropped}, written ${figures.written}\n`,
    );
  }
}

const baseline = median(runs.filter((run) => run.mode === 'off').map((run) => run.deliveredPerSecond));
const lines = [
  '# Connection logging and MQTT throughput (`npm run bench:logging`)',
  '',
  `${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
    `${settings.devices} devices publishing QoS 1 closed-loop, ${settings.churn} churn loops (connect, refused SUBSCRIBE, refused PUBLISH: ` +
    `4 log events a round), ${settings.rounds} alternating runs of ${settings.seconds} s per mode.`,
  '',
  '| logging | QoS 1 deliveries/s (median) | vs off | churn rounds/s (median) | log entries dropped (last run) | written (last run) |',
  '|---|---|---|---|---|---|',
  ...MODES.map((mode) => {
    const mine = runs.filter((run) => run.mode === mode);
    const rate = median(mine.map((run) => run.deliveredPerSecond));
    const last = mine.at(-1)!;
    return `| ${mode} | ${rate.toFixed(0)} | ${((rate / baseline) * 100).toFixed(1)}% | ${median(mine.map((run) => run.churnRoundsPerSecond)).toFixed(0)} | ${last.dropped} | ${last.written} |`;
  }),
  '',
  'Every run:',
  '',
  '| mode | deliveries/s | churn rounds/s | dropped | written |',
  '|---|---|---|---|---|',
  ...runs.map(
    (run) =>
      `| ${run.mode} | ${run.deliveredPerSecond.toFixed(0)} | ${run.churnRoundsPerSecond.toFixed(0)} | ${run.dropped} | ${run.written} |`,
  ),
  '',
];
await mkdir(path.dirname(settings.out), { recursive: true });
await writeFile(settings.out, lines.join('\n'));
process.stdout.write(lines.join('\n'));
