// Triggers to HTTP end to end through `iotcore serve` (all-in-one, LevelDB queue), made with the
// CLI, against a real HTTP(S) endpoint: batches of the configured size and cutoff in Yandex's
// JSON, signed, over HTTPS with a test CA; an endpoint that hangs, drops the connection and fails
// for a while gets every message; one that keeps failing, or refuses for good, sends the batch to
// the dead letter after the configured retries; the metrics say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Metadata } from '@grpc/grpc-js';
import mqtt, { type MqttClient } from 'mqtt';
import { CreateRegistryRequest, RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { CreateDeviceRequest, DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import type { Operation } from '../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId } from '../registry/api/harness.js';
import { freePort } from '../support/ports.js';
import { REPO_ROOT } from '../support/tools.js';
import { makeCertificate } from '../support/certificates.js';
import { apiChannel, CLI, startServer, stopServer } from '../support/serve-process.js';
import { type ReceivedRequest, startWebhookReceiver } from '../support/webhook-receiver.js';

const run = promisify(execFile);
const PASSWORD = 'Device-Passw0rd-1!';

const messagesOf = (requests: ReceivedRequest[]) => requests.filter((r) => r.body).flatMap((r) => r.body.messages);
const payloads = (requests: ReceivedRequest[]) =>
  messagesOf(requests).map((m: { details: { payload: string } }) => Buffer.from(m.details.payload, 'base64').toString());

test('triggers to HTTP through iotcore serve: batches, Yandex JSON, signature, retries, dead letters, metrics', async (t) => {
  const certificate = makeCertificate('localhost');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-triggers-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startServer(dataDir, port, mqttPort, [
    '--http-listen',
    `127.0.0.1:${httpPort}`,
    '--trigger-tls-ca',
    certificate.certFile,
    '--trigger-request-timeout-ms',
    '500',
    '--drain-seconds',
    '0',
  ]);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args, '--format', 'json'], { env })).stdout);
  const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
  const clients: MqttClient[] = [];
  t.after(() => Promise.all(clients.map((client) => client.endAsync())));
  /** A registry with one device, connected over MQTT. */
  // Registries and devices through the API (the CLI is exercised by the trigger commands; each run
  // of it costs a Node start).
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${(await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim()}`);
  const registries = new RegistryServiceClient(`localhost:${port}`, apiChannel(dataDir));
  const devices = new DeviceServiceClient(`localhost:${port}`, apiChannel(dataDir));
  t.after(() => [registries, devices].forEach((client) => client.close()));
  const plant = async (name: string) => {
    const registry = {
      id: createdId(
        await call<unknown, Operation>(registries, 'create', CreateRegistryRequest.fromPartial({ folder_id: 'default', name }), metadata),
        Registry,
      ),
    };
    const device = {
      id: createdId(
        await call<unknown, Operation>(
          devices,
          'create',
          CreateDeviceRequest.fromPartial({ registry_id: registry.id, name: `${name}-pump`, password: PASSWORD }),
          metadata,
        ),
        Device,
      ),
    };
    const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca,
      username: device.id,
      password: PASSWORD,
      clientId: device.id,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return { registry, device, client };
  };
  const publishAll = (client: MqttClient, topic: string, count: number, prefix: string) =>
    Promise.all(Array.from({ length: count }, (_, i) => client.publishAsync(topic, `${prefix}-${i}`, { qos: 1 })));

  await t.test('batches of size 10 with a 1 s cutoff, over HTTPS with a test CA, in Yandex JSON, signed', async () => {
    const receiver = await startWebhookReceiver(certificate);
    t.after(() => receiver.close());
    const { registry, device, client } = await plant('batches');
    const created = await cli(
      'trigger',
      'create',
      '--name',
      'to-backend',
      '--registry-name',
      'batches',
      '--mqtt-topic',
      '$devices/+/events/#',
      '--url',
      receiver.url,
      '--bearer-token',
      'b-token',
      '--batch-size',
      '10',
      '--batch-cutoff',
      '1s',
    );
    const secret = created.signing_secret as string;
    assert.match(secret, /^iots_/);
    await client.publishAsync(`$devices/${device.id}/state`, 'not taken', { qos: 1 });
    await publishAll(client, `$devices/${device.id}/events/t`, 25, 'm');
    const published = Date.now();
    await receiver.until((requests) => messagesOf(requests).length >= 25, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.deepEqual(
      receiver.requests.map((request) => request.body.messages.length),
      [10, 10, 5],
      'two full batches at once, the rest at the cutoff',
    );
    assert.ok(
      receiver.requests[2]!.at - published >= 800,
      `the partial batch waits for the cutoff (${receiver.requests[2]!.at - published} ms)`,
    );
    assert.deepEqual(payloads(receiver.requests).sort(), Array.from({ length: 25 }, (_, i) => `m-${i}`).sort(), 'state is not taken');
    const [first] = receiver.requests[0]!.body.messages;
    assert.deepEqual(Object.keys(first).sort(), ['details', 'event_metadata']);
    assert.deepEqual(Object.keys(first.event_metadata).sort(), ['created_at', 'event_id', 'event_type', 'folder_id']);
    assert.equal(first.event_metadata.event_type, 'yandex.cloud.events.iot.IoTMessage');
    assert.equal(first.event_metadata.folder_id, 'default');
    assert.match(first.event_metadata.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(Math.abs(Date.parse(first.event_metadata.created_at) - published) < 5_000);
    assert.deepEqual(Object.keys(first.details).sort(), ['device_id', 'mqtt_topic', 'payload', 'registry_id']);
    assert.equal(first.details.registry_id, registry.id);
    assert.equal(first.details.device_id, device.id);
    assert.equal(first.details.mqtt_topic, `$devices/${device.id}/events/t`);
    for (const request of receiver.requests) {
      assert.equal(request.headers.authorization, 'Bearer b-token');
      assert.equal(request.headers['content-type'], 'application/json');
      const expected = `sha256=${createHmac('sha256', secret).update(request.raw).digest('hex')}`;
      assert.equal(request.headers['x-iotcore-signature'], expected, 'HMAC-SHA256 of the exact body under the secret');
    }
  });

  await t.test('an endpoint that hangs, drops the connection and fails for a while: retried, 0 lost', async () => {
    const receiver = await startWebhookReceiver();
    t.after(() => receiver.close());
    const failures: Array<'hang' | 'close' | 503 | 429> = ['hang', 'close', 503, 429];
    receiver.answer = (index) => failures[index] ?? 200;
    const { device, client } = await plant('flaky');
    await cli(
      ...['trigger', 'create', '--registry-name', 'flaky', '--url', receiver.url, '--batch-size', '5'],
      ...['--retry-attempts', '10', '--retry-interval', '100ms'],
    );
    await publishAll(client, `$devices/${device.id}/events`, 20, 'f');
    await receiver.until((requests) => new Set(payloads(requests.filter((r) => r.answer === 200))).size >= 20, 30_000);
    const delivered = payloads(receiver.requests.filter((request) => request.answer === 200));
    const lost = Array.from({ length: 20 }, (_, i) => `f-${i}`).filter((payload) => !delivered.includes(payload));
    const duplicates = delivered.length - new Set(delivered).size;
    console.log(
      `flaky endpoint: ${receiver.requests.length} requests, ${delivered.length} delivered, ${lost.length} lost, ${duplicates} duplicates`,
    );
    assert.deepEqual(lost, []);
    assert.deepEqual(
      receiver.requests.slice(0, failures.length + 1).map((request) => request.answer),
      [...failures, 200],
    );
    const retried = receiver.requests.slice(0, failures.length + 1).map((request) => request.raw);
    assert.equal(new Set(retried).size, 1, 'a retry sends the same body (same event IDs)');
    assert.equal(receiver.requests[failures.length]!.headers['x-iotcore-attempt'], String(failures.length + 1));
  });

  await t.test('an endpoint failing for good: the batch goes to the MQTT dead letter after the configured retries', async () => {
    const receiver = await startWebhookReceiver();
    t.after(() => receiver.close());
    receiver.answer = 500;
    const { registry, device, client } = await plant('dead');
    const deadTopic = `$registries/${registry.id}/commands/dead-letters`;
    const deadLetters: Buffer[] = [];
    await client.subscribeAsync(`$registries/${registry.id}/commands/#`, { qos: 1 });
    client.on('message', (topic, payload) => topic === deadTopic && deadLetters.push(payload));
    await cli(
      ...['trigger', 'create', '--registry-name', 'dead', '--mqtt-topic', '$devices/+/events', '--url', receiver.url],
      ...['--batch-size', '3'],
      ...['--retry-attempts', '2', '--retry-interval', '100ms', '--dead-letter-mqtt-topic', deadTopic],
    );
    await publishAll(client, `$devices/${device.id}/events`, 3, 'd');
    const deadline = Date.now() + 15_000;
    while (deadLetters.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(receiver.requests.length, 3, 'the first try and 2 retries');
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.toString(), receiver.requests[0]!.raw, 'the dead letter is the request body');

    // A 4xx other than 429 is permanent: no retry.
    receiver.answer = 400;
    await publishAll(client, `$devices/${device.id}/events`, 3, 'e');
    while (deadLetters.length < 2 && Date.now() < deadline + 15_000) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(receiver.requests.length, 4, 'one request, no retry');
    assert.deepEqual(
      messagesOf([{ body: JSON.parse(deadLetters[1]!.toString()) } as ReceivedRequest])
        .map((m: { details: { payload: string } }) => Buffer.from(m.details.payload, 'base64').toString())
        .sort(),
      ['e-0', 'e-1', 'e-2'],
    );
  });

  await t.test("the README's receiver.mjs gets the messages and refuses a request with a wrong signature", async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### Triggers to HTTP');
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    const receiverCode = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(receiverCode, 'the section has the receiver');
    const file = path.join(dataDir, 'receiver.mjs');
    await writeFile(file, receiverCode);
    const { device, client } = await plant('readme');
    const receiverPort = await freePort();
    const created = await cli(
      ...['trigger', 'create', '--registry-name', 'readme', '--mqtt-topic', '$devices/+/events/#'],
      ...['--url', `http://localhost:${receiverPort}/iot`, '--batch-size', '10', '--batch-cutoff', '2s'],
    );
    const receiver = spawn(process.execPath, [file], {
      env: { ...process.env, TRIGGER_SECRET: created.signing_secret, PORT: String(receiverPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => receiver.kill());
    let printed = '';
    receiver.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const forged = async () => {
      for (;;) {
        try {
          return await fetch(`http://localhost:${receiverPort}/iot`, {
            method: 'POST',
            body: '{"messages":[]}',
            headers: { 'x-iotcore-signature': 'sha256=00' },
          });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    assert.equal((await forged()).status, 401);
    await client.publishAsync(`$devices/${device.id}/events`, 'hello', { qos: 1 });
    const deadline = Date.now() + 15_000;
    while (!printed.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(printed, `${device.id} $devices/${device.id}/events hello\n`);
  });

  await t.test('the metrics count deliveries, failures, retries, dead letters and request time', async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.equal(value('iotcore_trigger_messages_delivered_total'), 46);
    assert.equal(value('iotcore_trigger_messages_queued_total'), 52);
    assert.equal(value('iotcore_trigger_batches_total{outcome="delivered"}'), 8);
    assert.equal(value('iotcore_trigger_batches_total{outcome="dead_letter"}'), 2);
    assert.equal(value('iotcore_trigger_dead_letters_total{destination="mqtt",outcome="written"}'), 2);
    assert.equal(value('iotcore_trigger_retries_total'), 6, '4 on the flaky endpoint, 2 on the failing one');
    assert.equal(value('iotcore_trigger_request_failures_total{reason="timeout"}'), 1);
    assert.equal(value('iotcore_trigger_request_failures_total{reason="connection"}'), 1);
    assert.equal(value('iotcore_trigger_request_failures_total{reason="http_429"}'), 1);
    assert.equal(value('iotcore_trigger_request_failures_total{reason="http_5xx"}'), 4);
    assert.equal(value('iotcore_trigger_request_failures_total{reason="http_4xx"}'), 1);
    assert.equal(value('iotcore_trigger_request_duration_seconds_count'), 16);
    assert.match(text, /^iotcore_trigger_backlog_messages\{trigger="[a-z0-9]+"\} 0$/m);
  });
});
