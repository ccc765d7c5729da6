// Crash safety of the all-in-one (`iotcore serve`, LevelDB state): SIGKILL in the middle of a QoS 1
// flood to an offline persistent session and of API writes, several times over. Every message the
// server PUBACKed and every API write it acknowledged must be there after the restarts, and the
// stores must open again each time (the server starts and logs no error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../support/ports.js';
import { apiChannel, startServer } from '../support/serve-process.js';
import { promiseClient } from '../../services/common/grpc-client.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { createdId } from '../registry/api/harness.js';

const KILLS = 5;
const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
/** QoS 1 publishes the flooding device keeps unacknowledged at once. */
const IN_FLIGHT = 32;

test('SIGKILL during a QoS 1 flood and API writes: nothing acknowledged is lost', { timeout: 120_000 }, async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-crash-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const mqttPort = await freePort();
  // Unbounded queue: the flood to the offline session is far over the default cap of 1,000, whose
  // drops are deliberate (test/edge/client-limits.test.ts); here every PUBACKed message must survive.
  const unbounded = ['--max-queued-messages', '0', '--max-queued-bytes', '0'];
  let server = await startServer(dataDir, port, mqttPort, unbounded);
  t.after(() => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });
  const errors = watchForErrors(server);

  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${(await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim()}`);
  const address = `127.0.0.1:${port}`;
  const api = () => ({
    registries: promiseClient(new RegistryServiceClient(address, apiChannel(dataDir)), metadata, 5000),
    devices: promiseClient(new DeviceServiceClient(address, apiChannel(dataDir)), metadata, 5000),
  });
  let clients = api();
  const R = createdId(
    await clients.registries.create({
      folder_id: 'crash',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: REGISTRY_PASSWORD,
      log_options: undefined,
    }),
    Registry,
  );
  const D = createdId(
    await clients.devices.create({
      registry_id: R,
      name: 'flooder',
      description: '',
      labels: {},
      certificates: [],
      topic_aliases: {},
      password: DEVICE_PASSWORD,
    }),
    Device,
  );
  const topic = `$devices/${D}/events`;
  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const connect = (options: mqtt.IClientOptions) =>
    mqtt.connectAsync({
      protocol: 'mqtts',
      host: 'localhost',
      port: mqttPort,
      ca,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });

  // The persistent session that must receive everything: subscribed once, then offline throughout.
  const sink = await connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'crash-sink', clean: false });
  await sink.subscribeAsync(topic, { qos: 1 });
  await sink.endAsync();

  const acknowledged = new Set<string>();
  const writtenDevices = new Set<string>();
  let sent = 0;
  let writesTried = 0;
  for (let round = 0; round < KILLS; round++) {
    const device = await connect({ username: D, password: DEVICE_PASSWORD, clientId: `flooder-${round}` });
    let stop = false;
    const flood = floodQos1(
      device,
      topic,
      `${round}-`,
      () => stop,
      (payload) => acknowledged.add(payload),
      () => sent++,
    );
    const writers = [0, 1].map(async (writer) => {
      for (let i = 0; !stop; i++) {
        const name = `w-${round}-${writer}-${i}`;
        writesTried++;
        try {
          await clients.devices.create({
            registry_id: R,
            name,
            description: '',
            labels: {},
            certificates: [],
            topic_aliases: {},
            password: '',
          });
          writtenDevices.add(name);
        } catch {
          return; // the server is gone: this write was never acknowledged
        }
      }
    });
    // Killed at a different point of the flood each round.
    await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 1300));
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    stop = true;
    await Promise.all([flood, ...writers]);
    device.end(true);
    server = await startServer(dataDir, port, mqttPort, unbounded);
    errors.watch(server);
    clients = api();
  }

  // Everything acknowledged before any of the kills is delivered to the persistent session now:
  // received once every PUBACKed message is in, or when the session goes quiet with some missing.
  const received = new Set<string>();
  let missing = acknowledged.size;
  const drained = await connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'crash-sink', clean: false });
  await new Promise<void>((resolve) => {
    let quiet = setTimeout(resolve, 3000);
    drained.on('message', (_topic, payload) => {
      const message = payload.toString();
      if (!received.has(message) && acknowledged.has(message)) missing--;
      received.add(message);
      clearTimeout(quiet);
      if (missing === 0) resolve();
      else quiet = setTimeout(resolve, 3000);
    });
  });
  await drained.endAsync();
  const lostMessages = [...acknowledged].filter((n) => !received.has(n));

  const listed = new Set<string>();
  let pageToken = '';
  do {
    const page = await clients.devices.list({
      id: { $case: 'registry_id', value: R },
      page_size: 1000,
      page_token: pageToken,
      device_view: 0,
    });
    for (const device of page.devices) listed.add(device.name);
    pageToken = page.next_page_token;
  } while (pageToken);
  const lostWrites = [...writtenDevices].filter((name) => !listed.has(name));

  t.diagnostic(
    `kills ${KILLS}; QoS 1 messages sent ${sent}, PUBACKed ${acknowledged.size}, delivered after restarts ${received.size}, lost ${lostMessages.length}; API writes tried ${writesTried}, acknowledged ${writtenDevices.size}, lost ${lostWrites.length}`,
  );
  assert.ok(acknowledged.size >= KILLS * 50, `the flood made progress (${acknowledged.size} PUBACKs)`);
  assert.ok(writtenDevices.size >= KILLS * 5, `the API writes made progress (${writtenDevices.size})`);
  assert.deepEqual(lostMessages.slice(0, 20), [], `${lostMessages.length} PUBACKed messages lost`);
  assert.deepEqual(lostWrites.slice(0, 20), [], `${lostWrites.length} acknowledged API writes lost`);
  assert.deepEqual(errors.lines, [], 'the restarted server logged errors');
  server.kill('SIGKILL');
});

/** Publishes numbered QoS 1 messages (`<prefix><n>`) with IN_FLIGHT outstanding until told to stop or the connection dies. */
async function floodQos1(
  client: MqttClient,
  topic: string,
  prefix: string,
  stopped: () => boolean,
  onAck: (payload: string) => void,
  onSent: () => void,
): Promise<void> {
  let next = 0;
  // mqtt.js does not call back publishes still in flight when the connection dies.
  const gone = new Promise<boolean>((resolve) => client.once('close', () => resolve(false)));
  const lane = async () => {
    while (!stopped() && client.connected) {
      const payload = `${prefix}${next++}`;
      onSent();
      const acked = new Promise<boolean>((resolve) => client.publish(topic, payload, { qos: 1 }, (error) => resolve(!error)));
      const ok = await Promise.race([acked, gone]);
      if (!ok) return;
      onAck(payload);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** Collects error-level log lines (pino level ≥ 50) of every server process it watches. */
function watchForErrors(first: ChildProcess) {
  const lines: string[] = [];
  const watch = (child: ChildProcess) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) if (/"level":(50|60)/.test(line)) lines.push(line.slice(0, 500));
    });
  };
  watch(first);
  return { lines, watch };
}
