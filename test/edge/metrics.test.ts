// /metrics after real traffic: the counters move by exactly what happened (scraped over HTTP from
// the operations port, parsed as Prometheus text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startEdgeHarness, nextMessage, closed } from './harness.js';
import { startOpsServer } from '../../services/common/ops-http.js';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';

const REGISTRY_PASSWORD = 'Metrics-Registry-Pass1';
const DEVICE_PASSWORD = 'Metrics-Device-Pass1!';

/** Every sample of the scrape, keyed `name{labels}` as printed. */
async function scrape(address: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

test('metrics count connections, CONNACKs, messages in and out, bytes and drops', async (t) => {
  const harness = await startEdgeHarness();
  const ops = await startOpsServer({ listen: '127.0.0.1:0', checks: [], logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await ops.close();
    await harness.close();
  });
  const ctx = harness.api.api.ctx;
  const R = (await createRegistry(ctx, { folder_id: 'metrics', name: 'r', description: '', labels: {}, certificates: [], password: REGISTRY_PASSWORD })).id;
  const D = (await createDevice(ctx, { registry_id: R, name: 'd', description: '', labels: {}, certificates: [], password: DEVICE_PASSWORD, topic_aliases: {} })).id;
  const before = await scrape(ops.address);
  const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

  const registry = await harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'backend' });
  await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  const device = await harness.connect({ username: D, password: DEVICE_PASSWORD, clientId: 'sensor' });
  await assert.rejects(harness.connect({ username: D, password: 'Wrong-Passw0rd-123', clientId: 'intruder' }));
  let received = 0;
  registry.on('message', () => received++);
  for (let i = 0; i < 10; i++) await device.publishAsync(`$devices/${D}/events`, 'x'.repeat(100), { qos: 1 });
  await nextMessage(registry).catch(() => undefined);
  while (received < 10) await new Promise((resolve) => setTimeout(resolve, 20));
  const gone = closed(device);
  device.publish(`$registries/${R}/commands`, 'not allowed for a device', { qos: 0 });
  await gone;

  const after = await scrape(ops.address);
  assert.equal(delta(after, `iotcore_messages_received_total{qos="1",registry="${R}"}`), 10);
  assert.equal(delta(after, `iotcore_received_bytes_total{registry="${R}"}`), 1000);
  assert.equal(delta(after, `iotcore_messages_delivered_total{qos="1",registry="${R}"}`), 10);
  assert.equal(delta(after, 'iotcore_connack_total{code="0"}'), 2);
  assert.equal(delta(after, 'iotcore_connack_total{code="4"}'), 1);
  assert.equal(delta(after, 'iotcore_messages_dropped_total{reason="acl"}'), 1);
  assert.equal(delta(after, 'iotcore_connections{kind="registry"}'), 1);
  assert.equal(delta(after, 'iotcore_connections{kind="device"}'), 0, 'the device was disconnected again');
  assert.equal(delta(after, 'iotcore_auth_duration_seconds_count'), 3);
  assert.ok((after.get('process_resident_memory_bytes') ?? 0) > 0, 'process metrics too');
});
