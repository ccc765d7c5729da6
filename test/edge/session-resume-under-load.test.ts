// A persistent session resuming while QoS 1 messages keep coming gets some of them both from its
// stored queue and live. aedes used to close such a connection ("no such packet" when the stored
// record of an already acknowledged copy was gone), over and over until the backlog drained.
// Against the all-in-one server with its LevelDB state: the resumed connection stays up and gets
// every message (duplicates allowed, QoS 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from '../support/ports.js';
import { apiChannel, startServer, stopServer } from '../support/serve-process.js';
import { createFleet } from '../../loadtest/bench/fleet.js';

const DEVICES = 20;
const PER_DEVICE = 40;

test('a persistent session resumed under a QoS 1 stream stays connected and misses nothing', { timeout: 120_000 }, async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-resume-'));
  const [apiPort, mqttPort] = [await freePort(), await freePort()];
  const server = await startServer(dataDir, apiPort, mqttPort);
  t.after(async () => {
    await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  });
  const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
  const fleet = await createFleet(`127.0.0.1:${apiPort}`, token, apiChannel(dataDir), DEVICES, () => undefined);
  const ca = await readFile(path.join(dataDir, 'tls/ca.pem'));
  const connect = (options: IClientOptions) => mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, { ca, reconnectPeriod: 0, ...options });
  const consumer = { username: fleet.registry.id, password: fleet.registry.password, clientId: 'backend', clean: false };

  const first = await connect(consumer);
  await first.subscribeAsync('$devices/+/events', { qos: 1 });
  await first.endAsync();
  const devices: MqttClient[] = await Promise.all(
    fleet.devices.map((device, i) => connect({ username: device.id, password: device.password, clientId: `d${i}` })),
  );
  t.after(() => devices.forEach((device) => device.end(true)));
  const stream = (round: string) =>
    Promise.all(
      devices.map(async (device, i) => {
        for (let n = 0; n < PER_DEVICE; n++)
          await device.publishAsync(`$devices/${fleet.devices[i]!.id}/events`, `${round}:${i}:${n}`, { qos: 1 });
      }),
    );
  await stream('offline');

  const live = stream('live');
  const resumed = await connect(consumer);
  const received = new Set<string>();
  let closed = false;
  resumed.on('message', (_topic, payload) => received.add(payload.toString()));
  resumed.on('close', () => (closed = true));
  await live;
  const deadline = Date.now() + 20_000;
  while (received.size < 2 * DEVICES * PER_DEVICE && Date.now() < deadline && !closed)
    await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(closed, false, 'the resumed connection was not closed');
  assert.equal(received.size, 2 * DEVICES * PER_DEVICE, 'every stored and every live message arrived');
  await resumed.endAsync();
});
