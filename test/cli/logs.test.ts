// Per-registry connection logs end to end (issue #16): `iotcore serve` (LevelDB log store), MQTT clients doing what
// devices do, and `iotcore device|registry logs` reading it back, honouring the registry's LogOptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../support/ports.js';
import { CLI, startServer, stopServer } from '../support/serve-process.js';

const run = promisify(execFile);
const DEVICE_PASSWORD = 'Device-Passw0rd-1!';

interface JsonEntry {
  uid: string;
  resource: { type: string; id: string };
  timestamp: string;
  level: string;
  message: string;
  json_payload: Record<string, string>;
}

test('device logs: connect, bad password, forbidden publish, disconnect; min_level; disabled; --follow; broker logs', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-logs-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const mqttPort = await freePort();
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env })).stdout;
  const server = await startServer(dataDir, port, mqttPort);
  t.after(() => stopServer(server));

  const registry = JSON.parse(await cli('registry', 'create', '--name', 'r1', '--password', 'Registry-Passw0rd!', '--format', 'json'));
  const device = JSON.parse(
    await cli('device', 'create', '--registry-name', 'r1', '--name', 'd1', '--password', DEVICE_PASSWORD, '--format', 'json'),
  );
  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const connect = (password: string, clientId: string) =>
    mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca,
      username: device.id,
      password,
      clientId,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
  const closed = (client: mqtt.MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));
  const deviceLogs = async (...args: string[]): Promise<JsonEntry[]> =>
    JSON.parse(await cli('device', 'logs', 'd1', '--registry-name', 'r1', '--format', 'json', ...args));
  /** Entries since `since`, once there are `count` of them (edges send theirs every 200 ms). */
  const waitForLogs = async (since: string, count: number): Promise<JsonEntry[]> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const entries = await deviceLogs('--since', since);
      if (entries.length >= count || Date.now() > deadline) return entries;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  // 1. Everything is logged by default (a fresh registry's LogOptions).
  const start = new Date().toISOString();
  const client = await connect(DEVICE_PASSWORD, 'dev-1');
  await assert.rejects(connect('Wrong-Passw0rd-1!', 'dev-guess'), /Bad username or password/);
  const gone = closed(client);
  client.publish(`$devices/${device.id}/commands`, 'not mine to send');
  await gone;
  const entries = await waitForLogs(start, 4);
  assert.deepEqual(
    entries.map((entry) => [entry.level, entry.json_payload.event]),
    [
      ['INFO', 'connected'],
      ['ERROR', 'auth_failed'],
      ['ERROR', 'publish_denied'],
      ['WARN', 'disconnected'],
    ],
  );
  const [connected, authFailed, publishDenied, disconnected] = entries as [JsonEntry, JsonEntry, JsonEntry, JsonEntry];
  for (const entry of entries) {
    assert.deepEqual(entry.resource, { type: 'iot.registry', id: registry.id });
    assert.equal(entry.json_payload.device_id, device.id);
    assert.ok(!JSON.stringify(entry).includes('Wrong-Passw0rd'), 'passwords never reach the log');
  }
  assert.match(connected.message, new RegExp(`^connected, username: "${device.id}", address: "127\\.0\\.0\\.1:\\d+", clientID: "dev-1"$`));
  assert.equal(connected.json_payload.client_id, 'dev-1');
  assert.equal(authFailed.message, 'authentication failed: wrong password');
  assert.equal(authFailed.json_payload.client_id, 'dev-guess');
  assert.equal(authFailed.json_payload.reason, 'wrong password');
  assert.equal(publishDenied.json_payload.topic, `$devices/${device.id}/commands`);
  assert.match(publishDenied.message, /^disconnected: publish to topic ".*" not allowed/);
  assert.equal(disconnected.json_payload.reason, 'publish_denied');
  assert.ok(
    entries.every((entry, index) => index === 0 || entry.timestamp >= entries[index - 1]!.timestamp),
    'in time order',
  );
  // The registry's log holds its own entries only (as Yandex's); device= reads its devices' instead.
  assert.deepEqual(
    JSON.parse(await cli('registry', 'logs', 'r1', '--since', start, '--format', 'json')),
    [],
    "the device's entries are not in the registry's log",
  );
  const registryLogs = JSON.parse(
    await cli(
      'registry',
      'logs',
      'r1',
      '--since',
      start,
      '--filter',
      `event=auth_failed|connected AND device=${device.id}`,
      '--format',
      'json',
    ),
  ) as JsonEntry[];
  assert.deepEqual(
    registryLogs.map((entry) => entry.json_payload.event),
    ['connected', 'auth_failed'],
  );
  const text = await cli('device', 'logs', 'd1', '--registry-name', 'r1', '--since', start, '--levels', 'ERROR');
  assert.match(text, new RegExp(`^\\S+Z ERROR device ${device.id}: authentication failed: wrong password\\n`));
  assert.equal(text.trim().split('\n').length, 2);

  // 2. min_level ERROR: info (and warn) events are not kept, errors are.
  await cli('registry', 'update', 'r1', '--min-log-level', 'error');
  const errorsOnly = new Date().toISOString();
  const quiet = await connect(DEVICE_PASSWORD, 'dev-2');
  await assert.rejects(connect('Wrong-Passw0rd-2!', 'dev-guess'), /Bad username or password/);
  await quiet.endAsync();
  const filtered = await waitForLogs(errorsOnly, 1);
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.deepEqual(
    (await deviceLogs('--since', errorsOnly)).map((entry) => [entry.level, entry.json_payload.event]),
    [['ERROR', 'auth_failed']],
  );
  assert.equal(filtered.length, 1);

  // 3. disabled: nothing is stored.
  await cli('registry', 'update', 'r1', '--no-logging');
  const disabledSince = new Date().toISOString();
  const silent = await connect(DEVICE_PASSWORD, 'dev-3');
  await assert.rejects(connect('Wrong-Passw0rd-3!', 'dev-guess'), /Bad username or password/);
  await silent.endAsync();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(await deviceLogs('--since', disabledSince), []);

  // 4. --follow prints a new entry within 1 s of the event.
  await cli('registry', 'update', 'r1', '--min-log-level', 'info');
  const follower = spawn(process.execPath, [CLI, 'device', 'logs', 'd1', '--registry-name', 'r1', '--since', start, '--follow'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => follower.kill('SIGTERM'));
  let followed = '';
  const printed = (pattern: RegExp) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        if (pattern.test(followed)) {
          follower.stdout.off('data', onData);
          resolve(Date.now());
        }
      };
      const onData = (chunk: Buffer) => {
        followed += chunk.toString();
        check();
      };
      follower.stdout.on('data', onData);
      follower.once('exit', (code) => reject(new Error(`--follow exited with ${code}`)));
      check();
    });
  // The history first (the follower is then polling), then the new connection.
  await printed(/publish denied/);
  const connectedAt = Date.now();
  const latest = await connect(DEVICE_PASSWORD, 'dev-follow');
  const shownAt = await printed(/clientID: "dev-follow"/);
  await latest.endAsync();
  assert.ok(shownAt - connectedAt < 1000, `--follow showed the new entry after ${shownAt - connectedAt} ms`);
  assert.equal(followed.match(/clientID: "dev-1"/g)?.length, 1, 'entries already printed are not printed again');

  // A broker's own log.
  const broker = JSON.parse(await cli('broker', 'create', '--name', 'b1', '--password', 'Broker-Passw0rd-1!', '--format', 'json'));
  const brokerSince = new Date().toISOString();
  const brokerClient = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca,
    username: broker.id,
    password: 'Broker-Passw0rd-1!',
    clientId: 'broker-client',
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  await brokerClient.endAsync();
  const brokerLogs = async () => JSON.parse(await cli('broker', 'logs', 'b1', '--since', brokerSince, '--format', 'json')) as JsonEntry[];
  let brokerEntries = await brokerLogs();
  for (let attempt = 0; brokerEntries.length < 2 && attempt < 25; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    brokerEntries = await brokerLogs();
  }
  assert.deepEqual(
    brokerEntries.map((entry) => [entry.resource.type, entry.resource.id, entry.level, entry.message]),
    [
      [
        'iot.broker',
        broker.id,
        'INFO',
        `connected, username: "${broker.id}", address: "${brokerEntries[0]?.json_payload.address}", clientID: "broker-client"`,
      ],
      ['iot.broker', broker.id, 'INFO', 'disconnected: client disconnected'],
    ],
  );
});
