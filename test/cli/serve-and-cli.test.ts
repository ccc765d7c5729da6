// The README walk-through as a test: `iotcore serve` on a fresh data dir, the CLI creates a
// registry and a device, lists them, and everything survives a restart of the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../support/ports.js';
import { CLI, startServer, stopServer } from '../support/serve-process.js';

const run = promisify(execFile);

/** Runs a long-lived command; `subscribed` resolves when it printed `marker`, `done` with its stdout at exit. */
function execFileOutput(command: string, args: string[], env: NodeJS.ProcessEnv, marker = 'subscribed to') {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const subscribed = new Promise<void>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      stderr += chunk.toString();
      if ((stderr + stdout).includes(marker)) resolve();
    };
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before subscribing: ${stderr}`)));
  });
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr}`)))),
  );
  return { child, subscribed, done };
}

test('serve + CLI: create registry and device, list them, data survives a restart', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const mqttPort = await freePort();
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env })).stdout;

  let server = await startServer(dataDir, port, mqttPort);
  t.after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  const tokenFile = path.join(dataDir, 'admin-token');
  assert.equal((await stat(tokenFile)).mode & 0o777, 0o600, 'the admin token file is private');
  assert.ok((await readFile(tokenFile, 'utf8')).trim().length >= 32);

  await cli('registry', 'create', '--name', 'r1', '--password', 'Registry-Passw0rd!');
  const device = JSON.parse(
    await cli('device', 'create', '--registry-name', 'r1', '--name', 'd1', '--password', 'Device-Passw0rd-1!', '--format', 'json'),
  );
  assert.match(device.id, /^[a-z0-9]{20}$/, 'a 20-character device ID');
  assert.equal(device.name, 'd1');
  assert.ok(device.registry_id, 'snake_case field names as yc prints them');
  assert.ok(device.created_at);

  const listed = JSON.parse(await cli('device', 'list', '--registry-name', 'r1', '--format', 'json'));
  assert.deepEqual(
    listed.map((entry: { id: string }) => entry.id),
    [device.id],
  );
  // The registry flag before the subcommand, as Yandex's docs write `yc iot device --registry-name r list`.
  assert.deepEqual(JSON.parse(await cli('device', '--registry-name', 'r1', 'list', '--format', 'json')), listed);

  // As yc, `password add` without a password flag asks for one: read from standard input when piped.
  const asked = run(process.execPath, [CLI, 'device', 'password', 'add', '--device-id', device.id, '--format', 'json'], { env });
  asked.child.stdin!.end('Piped-Passw0rd-0002\n');
  assert.equal(JSON.parse((await asked).stdout).device_id, device.id);
  const passwords = JSON.parse(await cli('device', 'password', 'list', '--device-id', device.id, '--format', 'json'));
  assert.equal(passwords.length, 2);
  assert.equal(passwords[0].device_id, device.id);
  assert.equal(JSON.stringify(passwords).includes('Device-Passw0rd-1!'), false, 'passwords are never returned');

  // README walk-through: the registry subscribes and the device publishes with `iotcore mqtt`,
  // then the same with Debian's mosquitto clients (a third-party client).
  const registry = JSON.parse(await cli('registry', 'get', 'r1', '--format', 'json'));
  const ca = path.join(dataDir, 'tls', 'ca.pem');
  const mqttEnv = { ...env, IOTCORE_MQTT_ENDPOINT: `localhost:${mqttPort}` };
  /** `iotcore mqtt subscribe` as the registry. */
  const subscribeAs = (clientId: string, topic: string, ...flags: string[]) =>
    execFileOutput(
      process.execPath,
      [CLI, 'mqtt', 'subscribe', '-u', registry.id, '-P', 'Registry-Passw0rd!', '--ca', ca, '-t', topic, '--client-id', clientId, ...flags],
      mqttEnv,
    );
  const events = `$devices/${device.id}/events`;
  const subscriber = subscribeAs('sub-cli', events, '-q', '1', '--count', '1');
  await subscriber.subscribed;
  await run(
    process.execPath,
    [
      CLI,
      'mqtt',
      'publish',
      '-u',
      device.id,
      '-P',
      'Device-Passw0rd-1!',
      '--ca',
      ca,
      '-t',
      `$devices/${device.id}/events`,
      '-m',
      'hello from the CLI',
      '-q',
      '1',
    ],
    { env: mqttEnv },
  );
  assert.equal((await subscriber.done).trim(), 'hello from the CLI');

  // A subscriber whose connection the server closes (here: taken over by the same client ID) fails.
  const first = subscribeAs('taken-over', events);
  await first.subscribed;
  const second = subscribeAs('taken-over', events);
  await second.subscribed;
  await assert.rejects(first.done, /exited with 1: .*the server closed the connection/s);
  second.child.kill('SIGINT');
  assert.equal(await second.done, '', 'SIGINT ends a subscriber normally');

  // mosquitto_sub and mosquitto_pub on the TLS listener with a client's credentials; stdbuf:
  // mosquitto_sub block-buffers its output when it is not a terminal.
  const mosquitto = (username: string, password: string, clientId: string) => [
    '-h',
    'localhost',
    '-p',
    String(mqttPort),
    '--cafile',
    ca,
    '-u',
    username,
    '-P',
    password,
    '-i',
    clientId,
    '-q',
    '1',
  ];
  const mosquittoSub = (clientId: string, filter: string) =>
    execFileOutput(
      'stdbuf',
      ['-oL', 'mosquitto_sub', ...mosquitto(registry.id, 'Registry-Passw0rd!', clientId), '-t', filter, '-C', '1', '-W', '15', '-d'],
      env,
      'received SUBACK',
    );
  const mosquittoPub = (topic: string, message: string) =>
    run('mosquitto_pub', [...mosquitto(device.id, 'Device-Passw0rd-1!', 'mosq-pub'), '-t', topic, '-m', message]);

  const plain = mosquittoSub('mosq-sub', `$devices/${device.id}/events`);
  await plain.subscribed;
  await mosquittoPub(`$devices/${device.id}/events`, 'hello from mosquitto');
  assert.match(await plain.done, /hello from mosquitto/);

  // The README's shared subscription: two mosquitto_sub replicas of one group, each gets one of two events.
  const replicas = ['backend-1', 'backend-2'].map((clientId) => mosquittoSub(clientId, '$share/backend/$devices/+/events/#'));
  await Promise.all(replicas.map((replica) => replica.subscribed));
  for (const n of [1, 2]) await mosquittoPub(`$devices/${device.id}/events/shared`, `shared ${n}`);
  const outputs = await Promise.all(replicas.map((replica) => replica.done));
  assert.deepEqual(outputs.map((output) => output.match(/shared \d/)?.[0]).sort(), ['shared 1', 'shared 2'], 'one event to each replica');

  // A permanent-topic value outlives the process too.
  await run(
    process.execPath,
    [
      CLI,
      'mqtt',
      'publish',
      '-u',
      device.id,
      '-P',
      'Device-Passw0rd-1!',
      '--ca',
      ca,
      '-t',
      `$devices/${device.id}/state`,
      '-m',
      'on',
      '-q',
      '1',
    ],
    { env: mqttEnv },
  );

  await stopServer(server);
  // From here the audit trail goes to a file instead of stdout.
  const auditFile = path.join(dataDir, 'audit', 'trail.jsonl');
  server = await startServer(dataDir, port, mqttPort, ['--audit-log', auditFile]);
  const state = subscribeAs('state-reader', `$devices/${device.id}/state`, '--count', '1');
  const timeout = new Promise<string>((_resolve, reject) =>
    setTimeout(() => reject(new Error('no stored state after the restart')), 10_000).unref(),
  );
  assert.equal((await Promise.race([state.done, timeout])).trim(), 'on', 'the stored state survived the restart');
  const afterRestart = JSON.parse(await cli('device', 'get', 'd1', '--registry-name', 'r1', '--format', 'json'));
  assert.equal(afterRestart.id, device.id);
  const registries = JSON.parse(await cli('registry', 'list', '--format', 'json'));
  assert.deepEqual(
    registries.map((entry: { name: string }) => entry.name),
    ['r1'],
  );
  // As yc: a device name alone is looked up in the folder, where it must then be unique.
  assert.equal(JSON.parse(await cli('device', 'get', 'd1', '--format', 'json')).id, device.id);
  await cli('registry', 'create', '--name', 'r2', '--password', 'Registry-Passw0rd!');
  await cli('device', 'create', '--registry-name', 'r2', '--name', 'd1', '--password', 'Device-Passw0rd-1!');
  await assert.rejects(cli('device', 'get', 'd1'), /2 devices are named d1 in folder .*; pass --registry-id or --registry-name/);
  // yc's --async prints the operation instead of its result.
  const operation = JSON.parse(await cli('registry', 'create', '--name', 'r3', '--async', '--format', 'json'));
  assert.equal(operation.description, 'Create device registry');
  assert.equal(operation.done, true);
  assert.equal(operation.metadata['@type'], 'type.googleapis.com/yandex.cloud.iot.devices.v1.CreateRegistryMetadata');
  // As yc, delete takes several NAME|IDs.
  const doomed = JSON.parse(await cli('device', 'create', '--registry-name', 'r3', '--name', 'doomed-2', '--format', 'json'));
  await cli('device', 'create', '--registry-name', 'r3', '--name', 'doomed-1');
  await cli('device', 'delete', '--registry-name', 'r3', 'doomed-1', doomed.id);
  assert.deepEqual(JSON.parse(await cli('device', 'list', '--registry-name', 'r3', '--format', 'json')), []);
  await cli('registry', 'create', '--name', 'r4');
  await cli('registry', 'delete', 'r3', 'r4');
  assert.deepEqual(
    JSON.parse(await cli('registry', 'list', '--format', 'json'))
      .map((entry: { name: string }) => entry.name)
      .sort(),
    ['r1', 'r2'],
  );
  // Every change since the restart, in order, with the created IDs and no password.
  const trail = (await readFile(auditFile, 'utf8')).trim().split('\n');
  const audited = trail.map(
    (line) => JSON.parse(line) as { name: string; event_type: string; event_status: string; details: Record<string, string> },
  );
  assert.ok(audited.every((event) => event.name === 'audit' && event.event_status === 'DONE'));
  assert.deepEqual(
    audited.map((event) => event.event_type.replace('yandex.cloud.audit.iot.devices.', '')),
    [
      'CreateRegistry',
      'CreateDevice',
      'CreateRegistry',
      'CreateDevice',
      'CreateDevice',
      'DeleteDevice',
      'DeleteDevice',
      'CreateRegistry',
      'DeleteRegistry',
      'DeleteRegistry',
    ],
  );
  assert.equal(audited[3]!.details.device_id, doomed.id, 'a Create names what it created');
  assert.equal(audited[6]!.details.device_id, doomed.id);
  assert.equal(trail.join('\n').includes('Device-Passw0rd-1!'), false, 'no password in the trail');
  assert.equal((await stat(auditFile)).mode & 0o777, 0o600, 'readable by the server alone');

  await assert.rejects(run(process.execPath, [CLI, 'registry', 'list', '--token', 'wrong'], { env }), (error: { stderr: string }) => {
    assert.match(error.stderr, /invalid token/);
    return true;
  });

  // Yandex's message limit is 256 KiB of payload: exactly that passes on a long topic (the packet
  // is larger by its header and topic); a packet past that payload plus the longest topic's room
  // closes the connection before it is buffered.
  const limitCa = await readFile(ca);
  const sender = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca: limitCa,
    username: device.id,
    password: 'Device-Passw0rd-1!',
    clientId: 'large',
    reconnectPeriod: 0,
  });
  const longTopic = `$devices/${device.id}/events/${'s'.repeat(1000)}`;
  await sender.publishAsync(longTopic, Buffer.alloc(262_144, 1), { qos: 1 });
  const senderClosed = new Promise<void>((resolve) => sender.once('close', () => resolve()));
  sender.publish(`${longTopic.slice(0, -100)}`, Buffer.alloc(262_144 + 4 * 1088, 1), { qos: 1 });
  await senderClosed;
  sender.end(true);

  // SIGTERM with a client still connected: the server closes it and exits 0 promptly.
  const connected = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca: await readFile(ca),
    username: device.id,
    password: 'Device-Passw0rd-1!',
    clientId: 'stays',
    reconnectPeriod: 0,
  });
  const clientClosed = new Promise<void>((resolve) => connected.once('close', () => resolve()));
  const exitCode = new Promise((resolve) => server.once('exit', resolve));
  const started = Date.now();
  server.kill('SIGTERM');
  assert.equal(await exitCode, 0);
  await clientClosed;
  assert.ok(Date.now() - started < 5000, `exited in ${Date.now() - started} ms`);
  connected.end(true);
});
