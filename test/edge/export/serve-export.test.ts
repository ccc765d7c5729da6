// The Data Streams export end to end: `iotcore serve --kafka-brokers …` with an export added by
// the CLI; a device's events (text and binary) and the registry's commands arrive in the Kafka
// topic as Yandex's records keyed by device, and its state does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../../support/ports.js';
import { CLI, startServer, stopServer } from '../../support/serve-process.js';
import { createTopic, readRecords } from '../../support/kafka-records.js';
import { startKafka } from '../../support/servers.js';

const run = promisify(execFile);
const DEVICE_PASSWORD = 'Device-Passw0rd-1!';
const REGISTRY_PASSWORD = 'Registry-Passw0rd!';

test('serve with --kafka-brokers exports events and commands of a registry to its Kafka topic', async (t) => {
  const kafka = await startKafka();
  t.after(() => kafka.stop());
  await createTopic(kafka.bootstrap, 'plant-telemetry');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-export-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort] = [await freePort(), await freePort()];
  const server = await startServer(dataDir, port, mqttPort, ['--kafka-brokers', kafka.bootstrap, '--drain-seconds', '0']);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args, '--format', 'json'], { env })).stdout);

  const registry = await cli('registry', 'create', '--name', 'plant', '--password', REGISTRY_PASSWORD);
  const device = await cli('device', 'create', '--registry-name', 'plant', '--name', 'pump', '--password', DEVICE_PASSWORD);
  await cli('registry', 'yds-export', 'add', '--registry-name', 'plant', '--database', 'db', '--stream', 'plant-telemetry');

  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const connect = (username: string, password: string) =>
    mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, { ca, username, password, clientId: username, reconnectPeriod: 0 });
  const pump = await connect(device.id, DEVICE_PASSWORD);
  const control = await connect(registry.id, REGISTRY_PASSWORD);
  t.after(() => Promise.all([pump.endAsync(), control.endAsync()]));
  await pump.publishAsync(`$devices/${device.id}/events/pressure`, '{"bar":2.5}', { qos: 1 });
  await pump.publishAsync(`$devices/${device.id}/state`, 'not exported', { qos: 1 });
  await control.publishAsync(`$devices/${device.id}/commands`, 'stop', { qos: 1 });
  // The default device publish rate is one message a second.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await pump.publishAsync(`$devices/${device.id}/events`, Buffer.from([0xde, 0xad, 0xbe, 0xef]), { qos: 1 });

  const records = await readRecords(kafka.bootstrap, 'plant-telemetry', 3, 30_000);
  assert.deepEqual(
    records.map((record) => [record.key, JSON.parse(record.value)]),
    [
      [device.id, { device_id: device.id, mqtt_topic: `$devices/${device.id}/events/pressure`, payload: '{"bar":2.5}', is_base64: false }],
      ['', { device_id: '', mqtt_topic: `$devices/${device.id}/commands`, payload: 'stop', is_base64: false }],
      [device.id, { device_id: device.id, mqtt_topic: `$devices/${device.id}/events`, payload: '3q2+7w==', is_base64: true }],
    ],
  );
  await assert.rejects(readRecords(kafka.bootstrap, 'plant-telemetry', 4, 2_000), /3 of 4/, 'state is not exported');
});
