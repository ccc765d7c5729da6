// The registry under test: `iotcore serve --role registry` as its own process (as an operator runs
// it), on the embedded store in a fresh data dir or on a MongoDB URL; its memory read from /proc.
// With `mqtt`, the all-in-one `iotcore serve` instead: the same registry with an MQTT edge in the
// process, whose TLS listener trusts the data dir's CA like the API.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CLI } from '../../test/support/serve-process.js';
import { freePort } from '../../test/support/ports.js';
import { rssBytes, settle } from '../process-stats.js';

export interface RegistryProcess {
  endpoint: string;
  /** The local CA the API's default TLS certificate chains to. */
  caFile: string;
  token: string;
  /** The MQTT over TLS port (all-in-one only). */
  mqttPort?: number;
  /** Resident set size of the registry process, bytes. */
  rss(): Promise<number>;
  /** Waits until the registry process is idle (compactions, GC); returns the seconds waited. */
  settle(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRegistryProcess(options: {
  dataDir: string;
  mongoUrl?: string;
  mongoDb?: string;
  mqtt?: boolean;
}): Promise<RegistryProcess> {
  const apiPort = await freePort();
  const mqttPort = options.mqtt ? await freePort() : undefined;
  const token = `fleet-bench-${process.pid}`;
  const args = [
    CLI,
    'serve',
    ...(mqttPort ? ['--mqtt-listen', `127.0.0.1:${mqttPort}`] : ['--role', 'registry']),
    '--data-dir',
    options.dataDir,
    '--api-listen',
    `127.0.0.1:${apiPort}`,
    '--rest-listen',
    'off',
    '--http-listen',
    '127.0.0.1:0',
    '--admin-tokens',
    token,
  ];
  if (options.mongoUrl) args.push('--mongo-url', options.mongoUrl, '--mongo-db', options.mongoDb ?? 'iotcore_fleet');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IOTCORE_LOG_LEVEL: 'info' } });
  process.once('exit', () => child.kill('SIGKILL')); // an interrupted benchmark leaves no registry behind
  await waitFor(child, mqttPort ? 'MQTT over TLS listening' : 'management API listening');
  return {
    endpoint: `127.0.0.1:${apiPort}`,
    mqttPort,
    caFile: path.join(options.dataDir, 'tls/ca.pem'),
    token,
    rss: () => rssBytes(child.pid!),
    settle: () => settle(child.pid!),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function waitFor(child: ChildProcess, line: string): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${output}`)), 60_000);
    // Keeps reading after the line (a full pipe would stall the registry), keeping nothing.
    const onData = (chunk: Buffer) => {
      if (output.includes(line)) return;
      output += chunk.toString();
      if (output.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`registry exited with ${code}:\n${output}`)));
  });
}
