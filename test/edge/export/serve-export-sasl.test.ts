// The Data Streams export to a Kafka that asks for SASL over TLS, as managed Kafka services (and
// Yandex Data Streams' Kafka endpoint) do: SCRAM-SHA-512 and PLAIN with the broker's CA given by
// --kafka-tls-ca deliver; a wrong password delivers nothing and /readyz says so.
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
import { ensureLocalTlsMaterial } from '../../../services/common/tls-material.js';

const run = promisify(execFile);
const DEVICE_PASSWORD = 'Device-Passw0rd-1!';
const KAFKA_USER = { name: 'iotcore-export', password: 'Kafka-Secret-1' };

const tlsDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-kafka-tls-'));
const kafkaTls = await ensureLocalTlsMaterial(tlsDir, []);
const kafka = await startKafka({ secure: { user: KAFKA_USER, certFile: kafkaTls.certFile, keyFile: kafkaTls.keyFile } });
test.after(async () => {
  await kafka.stop();
  await rm(tlsDir, { recursive: true, force: true });
});

/** `iotcore serve` exporting to the secure listener as `mechanism`/`password`; a device publishes `events` events. */
async function exportThrough(t: test.TestContext, mechanism: string, password: string, topic: string, events: number) {
  await createTopic(kafka.bootstrap, topic);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-export-sasl-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startServer(dataDir, port, mqttPort, [
    ...['--kafka-brokers', kafka.secureBootstrap!, '--kafka-security', 'SASL_SSL', '--kafka-tls-ca', kafkaTls.caFile],
    ...['--kafka-sasl-mechanism', mechanism, '--kafka-sasl-username', KAFKA_USER.name, '--kafka-sasl-password', password],
    ...['--http-listen', `127.0.0.1:${opsPort}`, '--drain-seconds', '0'],
  ]);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args, '--format', 'json'], { env })).stdout);
  await cli('registry', 'create', '--name', 'plant');
  const device = await cli('device', 'create', '--registry-name', 'plant', '--name', 'pump', '--password', DEVICE_PASSWORD);
  await cli('registry', 'yds-export', 'add', '--registry-name', 'plant', '--database', 'db', '--stream', topic);
  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const pump = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca,
    username: device.id,
    password: DEVICE_PASSWORD,
    clientId: 'pump',
    reconnectPeriod: 0,
  });
  t.after(() => pump.endAsync());
  for (let n = 0; n < events; n++) {
    // The default device publish rate is one message a second.
    if (n > 0) await new Promise((resolve) => setTimeout(resolve, 1_100));
    await pump.publishAsync(`$devices/${device.id}/events`, `reading ${n}`, { qos: 1 });
  }
  const readiness = async () => (await (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).json()) as { checks: Record<string, boolean> };
  return { readiness };
}

for (const mechanism of ['SCRAM-SHA-512', 'PLAIN']) {
  test(`SASL_SSL with ${mechanism} and --kafka-tls-ca: records arrive`, async (t) => {
    const topic = `secure-${mechanism.toLowerCase()}`;
    const { readiness } = await exportThrough(t, mechanism, KAFKA_USER.password, topic, 2);
    const records = await readRecords(kafka.bootstrap, topic, 2, 30_000);
    assert.deepEqual(
      records.map((record) => JSON.parse(record.value).payload),
      ['reading 0', 'reading 1'],
    );
    assert.equal((await readiness()).checks.kafka_export, true);
  });
}

test('SASL_SSL with a wrong password: nothing is written, /readyz reports kafka_export false', async (t) => {
  const { readiness } = await exportThrough(t, 'SCRAM-SHA-512', 'not-the-password', 'secure-refused', 1);
  const deadline = Date.now() + 20_000;
  while ((await readiness()).checks.kafka_export !== false && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal((await readiness()).checks.kafka_export, false);
  await assert.rejects(readRecords(kafka.bootstrap, 'secure-refused', 1, 2_000), /0 of 1/);
});
