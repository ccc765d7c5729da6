// A trigger's Kafka dead letter through `iotcore serve --kafka-brokers`, on a real Kafka broker: a
// batch the endpoint refuses for good (403) is written, unchanged, to the dead-letter topic, keyed
// by the trigger ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../support/ports.js';
import { createTopic, readRecords } from '../support/kafka-records.js';
import { startKafka } from '../support/servers.js';
import { CLI, startServer, stopServer } from '../support/serve-process.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const run = promisify(execFile);
const PASSWORD = 'Device-Passw0rd-1!';

test('a batch refused for good goes to the Kafka dead-letter topic, unchanged, keyed by the trigger', async (t) => {
  const kafka = await startKafka();
  t.after(() => kafka.stop());
  await createTopic(kafka.bootstrap, 'iot-dead-letters');
  const receiver = await startWebhookReceiver();
  t.after(() => receiver.close());
  receiver.answer = 403;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-trigger-dlq-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort] = [await freePort(), await freePort()];
  const server = await startServer(dataDir, port, mqttPort, ['--kafka-brokers', kafka.bootstrap, '--drain-seconds', '0']);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args, '--format', 'json'], { env })).stdout);
  await cli('registry', 'create', '--name', 'dlq');
  const device = await cli('device', 'create', '--registry-name', 'dlq', '--name', 'pump', '--password', PASSWORD);
  const created = await cli(
    ...['trigger', 'create', '--registry-name', 'dlq', '--url', receiver.url, '--batch-size', '2'],
    ...['--dead-letter-kafka-topic', 'iot-dead-letters'],
  );
  const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca: await readFile(path.join(dataDir, 'tls', 'ca.pem')),
    username: device.id,
    password: PASSWORD,
    clientId: device.id,
    reconnectPeriod: 0,
  });
  t.after(() => client.endAsync());
  await Promise.all(['a', 'b'].map((payload) => client.publishAsync(`$devices/${device.id}/events`, payload, { qos: 1 })));

  const [record] = await readRecords(kafka.bootstrap, 'iot-dead-letters', 1, 30_000);
  assert.equal(receiver.requests.length, 1, '403 is permanent: no retry');
  assert.equal(record!.key, created.trigger.id);
  assert.equal(record!.value, receiver.requests[0]!.raw, 'the request body, unchanged');
  assert.deepEqual(
    JSON.parse(record!.value)
      .messages.map((m: { details: { payload: string } }) => Buffer.from(m.details.payload, 'base64').toString())
      .sort(),
    ['a', 'b'],
  );
});
