// /metrics after real traffic: the counters move by exactly what happened (scraped over HTTP from
// the operations port, parsed as Prometheus text).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startEdgeHarness, closed } from './harness.js';
import { startOpsServer } from '../../services/common/ops-http.js';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { createBroker } from '../../services/registry/resources/brokers.js';
import { scrape, total, type Sample } from '../support/prometheus-text.js';

const REGISTRY_PASSWORD = 'Metrics-Registry-Pass1';
const DEVICE_PASSWORD = 'Metrics-Device-Pass1!';

async function eventually(read: () => Promise<number>, wanted: number, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  let value = await read();
  while (value !== wanted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  assert.equal(value, wanted, what);
}

/** An edge and its /metrics, closed after the test. */
async function edgeWithMetrics(t: TestContext) {
  const harness = await startEdgeHarness();
  const ops = await startOpsServer({ listen: '127.0.0.1:0', checks: [], logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await ops.close();
    await harness.close();
  });
  return { harness, url: `http://${ops.address}/metrics` };
}

test('metrics count connections, CONNACKs, messages in and out, bytes, drops and close reasons', async (t) => {
  const { harness, url } = await edgeWithMetrics(t);
  const ctx = harness.api.api.ctx;
  const R = (
    await createRegistry(ctx, {
      folder_id: 'metrics',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: REGISTRY_PASSWORD,
    })
  ).id;
  const D = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'd',
      description: '',
      labels: {},
      certificates: [],
      password: DEVICE_PASSWORD,
      topic_aliases: {},
    })
  ).id;
  const before = await scrape(url);
  const delta = (after: Sample[], name: string, labels: Record<string, string> = {}) =>
    total(after, name, labels) - total(before, name, labels);

  const registry = await harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'backend' });
  await registry.subscribeAsync([`$devices/${D}/events`, `$devices/${D}/state`], { qos: 1 });
  const device = await harness.connect({ username: D, password: DEVICE_PASSWORD, clientId: 'sensor' });
  await assert.rejects(harness.connect({ username: D, password: 'Wrong-Passw0rd-123', clientId: 'intruder' }));
  let received = 0;
  registry.on('message', () => received++);
  for (let i = 0; i < 10; i++) await device.publishAsync(`$devices/${D}/events`, 'x'.repeat(100), { qos: 1 });
  while (received < 10) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(total(await scrape(url), 'iotcore_subscriptions'), 2, 'the registry holds two subscriptions');
  const gone = closed(device);
  device.publish(`$registries/${R}/commands`, 'not allowed for a device', { qos: 0 });
  await gone;

  const after = await scrape(url);
  assert.equal(delta(after, 'iotcore_messages_received_total', { qos: '1', registry: R }), 10);
  assert.equal(delta(after, 'iotcore_received_bytes_total', { registry: R }), 1000);
  assert.equal(delta(after, 'iotcore_messages_delivered_total', { qos: '1', registry: R }), 10);
  assert.equal(delta(after, 'iotcore_delivered_bytes_total', { registry: R }), 1000);
  assert.equal(delta(after, 'iotcore_connack_total', { code: '0' }), 2);
  assert.equal(delta(after, 'iotcore_connack_total', { code: '4' }), 1);
  assert.equal(delta(after, 'iotcore_connections_opened_total'), 2);
  assert.equal(delta(after, 'iotcore_messages_dropped_total', { reason: 'acl' }), 1);
  assert.equal(delta(after, 'iotcore_connections_closed_total', { reason: 'publish_denied' }), 1);
  assert.equal(delta(after, 'iotcore_connections', { kind: 'registry' }), 1);
  assert.equal(delta(after, 'iotcore_connections', { kind: 'device' }), 0, 'the device was disconnected again');
  assert.equal(delta(after, 'iotcore_resource_connections', { registry: R }), 1, "the registry's own connection");
  // 2 CONNECTs (the refused one belongs to no one), 1 SUBSCRIBE, 11 PUBLISH in (the refused one
  // too), 10 PUBLISH out, each under 1 KiB.
  assert.equal(delta(after, 'iotcore_billing_messages_total', { registry: R }), 24);
  assert.equal(delta(after, 'iotcore_auth_duration_seconds_count'), 3);
  assert.ok(total(after, 'process_resident_memory_bytes') > 0, 'process metrics too');
  await eventually(
    async () => total(await scrape(url), 'iotcore_inflight_messages', { direction: 'out' }),
    0,
    'every QoS 1 delivery was acknowledged',
  );
  assert.equal(total(after, 'iotcore_inflight_messages', { direction: 'in' }), 0, 'every QoS 1 publish was acknowledged');

  await registry.endAsync();
  await eventually(
    async () => delta(await scrape(url), 'iotcore_connections_closed_total', { reason: 'client_disconnect' }),
    1,
    'a DISCONNECT counts as client_disconnect',
  );
  assert.equal(total(await scrape(url), 'iotcore_subscriptions'), 0);
});

test('a broker is counted under its own label: bytes, connections and billing messages of 1 KiB each', async (t) => {
  const { harness, url } = await edgeWithMetrics(t);
  const password = 'Metrics-Broker-Pass1';
  const B = (
    await createBroker(harness.api.api.ctx, { folder_id: 'metrics', name: 'b', description: '', labels: {}, certificates: [], password })
  ).id;
  const before = await scrape(url);
  const delta = (after: Sample[], name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);

  const client = await harness.connect({ username: B, password, clientId: 'gateway' });
  await client.subscribeAsync('plant/+/temperature', { qos: 1 });
  const arrived = new Promise((resolve) => client.once('message', resolve));
  await client.publishAsync('plant/7/temperature', Buffer.alloc(2800), { qos: 1 });
  await arrived;
  const during = await scrape(url);
  assert.equal(delta(during, 'iotcore_resource_connections', { broker: B }), 1);
  assert.equal(delta(during, 'iotcore_received_bytes_total', { broker: B }), 2800);
  assert.equal(delta(during, 'iotcore_delivered_bytes_total', { broker: B }), 2800);
  // CONNECT 1, SUBSCRIBE 1, and the 2,800-byte message 3 each way.
  assert.equal(delta(during, 'iotcore_billing_messages_total', { broker: B }), 8);
  assert.equal(delta(during, 'iotcore_received_bytes_total', {}), 2800, 'counted once, under the broker alone');

  await client.endAsync();
  await eventually(async () => delta(await scrape(url), 'iotcore_resource_connections', { broker: B }), 0, 'the connection is gone');
});
