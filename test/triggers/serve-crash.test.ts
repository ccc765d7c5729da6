// At least once across a crash of the all-in-one process, which both queues (LevelDB) and delivers:
// 1,000 messages queued, the endpoint slow, `iotcore serve` SIGKILLed while batches are on their
// way, then started again on the same data directory. Every message reaches the endpoint;
// duplicates (batches sent but not acknowledged when the process died) are counted and printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../support/ports.js';
import { CLI, startServer, stopServer } from '../support/serve-process.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const run = promisify(execFile);
const PASSWORD = 'Device-Passw0rd-1!';
const MESSAGES = 1_000;

test('iotcore serve SIGKILLed while delivering a trigger: after the restart every message arrives (duplicates counted)', async (t) => {
  const started = Date.now();
  const receiver = await startWebhookReceiver();
  t.after(() => receiver.close());
  receiver.delayMs = 20;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-trigger-crash-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const args = ['--http-listen', `127.0.0.1:${httpPort}`, '--drain-seconds', '0'];
  let server = await startServer(dataDir, port, mqttPort, args);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...command: string[]) =>
    JSON.parse((await run(process.execPath, [CLI, ...command, '--format', 'json'], { env })).stdout);
  await cli('registry', 'create', '--name', 'crash');
  const device = await cli('device', 'create', '--registry-name', 'crash', '--name', 'pump', '--password', PASSWORD);
  await cli('trigger', 'create', '--registry-name', 'crash', '--url', receiver.url, '--batch-size', '10');

  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca,
    username: device.id,
    password: PASSWORD,
    clientId: device.id,
    reconnectPeriod: 0,
  });
  for (let i = 0; i < MESSAGES; i += 100)
    await Promise.all(Array.from({ length: 100 }, (_, j) => client.publishAsync(`$devices/${device.id}/events`, `m-${i + j}`, { qos: 1 })));
  await client.endAsync();
  // Queued before the kill (the window between PUBACK and the queue is not what this test is about).
  const queued = async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    return Number(/^iotcore_trigger_messages_queued_total (\S+)$/m.exec(text)?.[1] ?? 0);
  };
  while ((await queued()) < MESSAGES) await new Promise((resolve) => setTimeout(resolve, 20));

  const payloads = () =>
    receiver.requests.flatMap((request) =>
      request.body.messages.map((m: { details: { payload: string } }) => Buffer.from(m.details.payload, 'base64').toString()),
    );
  await receiver.until(() => payloads().length >= MESSAGES / 4, 20_000);
  server.kill('SIGKILL');
  await new Promise((resolve) => server.once('exit', resolve));
  const atKill = payloads().length;
  assert.ok(atKill < MESSAGES, `killed mid-stream (${atKill} of ${MESSAGES} received)`);

  server = await startServer(dataDir, port, mqttPort, args);
  await receiver.until(() => new Set(payloads()).size >= MESSAGES, 45_000);
  const received = payloads();
  const distinct = new Set(received);
  const lost = Array.from({ length: MESSAGES }, (_, i) => `m-${i}`).filter((payload) => !distinct.has(payload));
  const duplicated = [...new Set(received.filter((payload, i) => received.indexOf(payload) !== i))];
  console.log(
    `serve crash: ${MESSAGES} messages, ${atKill} received before SIGKILL, ${received.length} in all, ${lost.length} lost, ` +
      `${received.length - distinct.size} duplicates (${duplicated.join(' ')}), ${Date.now() - started} ms`,
  );
  assert.deepEqual(lost, []);
});
