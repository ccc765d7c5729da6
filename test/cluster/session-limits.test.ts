// Per-session bounds in a cluster (MQTT state in the MongoDB-compatible store, shared by the
// edges): a persistent session's queue stays within --max-queued-messages whichever edge
// publishes, and a session that never comes back is removed after --session-expiry-seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './harness.js';
import { scrape, total } from '../support/prometheus-text.js';

const REGISTRY_PASSWORD = 'Limits-Registry-Pass1';
const DEVICE_PASSWORD = 'Limits-Device-Pass1!';

test('queue cap and session expiry hold across edges on the shared store', async (t) => {
  const cluster = await startCluster({ edges: 2, edgeArgs: ['--max-queued-messages', '5', '--session-expiry-seconds', '2'] });
  t.after(() => cluster.close());
  const registryId = await cluster.api.createRegistry('limits', REGISTRY_PASSWORD);
  const deviceId = await cluster.api.createDevice(registryId, 'sender', DEVICE_PASSWORD);
  const topic = `$devices/${deviceId}/events`;
  const session = { username: registryId, password: REGISTRY_PASSWORD, clientId: 'consumer', clean: false };

  const consumer = await cluster.connect(0, session);
  await consumer.subscribeAsync(topic, { qos: 1 });
  await consumer.endAsync();
  const device = await cluster.connect(1, { username: deviceId, password: DEVICE_PASSWORD, clientId: 'sender' });
  for (let index = 0; index < 12; index++) await device.publishAsync(topic, String(index), { qos: 1 });
  const dropped = total(await scrape(`http://127.0.0.1:${cluster.edges[1]!.httpPort}/metrics`), 'iotcore_messages_dropped_total', {
    reason: 'queue_full',
  });
  assert.equal(dropped, 7);

  const received: string[] = [];
  const back = await cluster.connect(1, session);
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(
    received.sort((a, b) => Number(a) - Number(b)),
    ['0', '1', '2', '3', '4'],
  );
  await back.endAsync();

  // Offline past the expiry: any edge's sweep removes it; nothing is queued for it any more.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const expired = await Promise.all(
    cluster.edges.map(async (edge) => total(await scrape(`http://127.0.0.1:${edge.httpPort}/metrics`), 'iotcore_sessions_expired_total')),
  );
  assert.equal(
    expired.reduce((sum, count) => sum + count, 0),
    1,
  );
  await device.publishAsync(topic, 'after expiry', { qos: 1 });
  const late: string[] = [];
  const again = await cluster.connect(0, session);
  again.on('message', (_topic, payload) => late.push(payload.toString()));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(late, []);
  await Promise.all([again.endAsync(), device.endAsync()]);
});
