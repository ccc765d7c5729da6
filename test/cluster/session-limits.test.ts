// Per-session bounds in a cluster (MQTT state in the MongoDB-compatible store, shared by the
// edges): a persistent session's queue stays within --max-queued-messages whichever edge
// publishes, and a session that never comes back is removed after --session-expiry-seconds, also
// one held by an edge that was killed. Session Present for a session held on another edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './harness.js';
import { scrape, total } from '../support/prometheus-text.js';
import { closed, sessionPresent } from '../edge/harness.js';

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

  // A session held by a connection on another edge exists [MQTT-3.2.2-2].
  const roamer = { username: deviceId, password: DEVICE_PASSWORD, clientId: 'roamer', clean: false };
  const onFirst = await cluster.connect(0, roamer);
  assert.equal(sessionPresent(onFirst), false, 'a new session');
  const firstClosed = closed(onFirst);
  const onSecond = await cluster.connect(1, roamer);
  assert.equal(sessionPresent(onSecond), true, 'held on the other edge until this CONNECT');
  await firstClosed;

  // An edge killed while holding a session never records it offline: it expires all the same,
  // from when the surviving edge finds the killed one's lease run out; the session that moved does not.
  const stranded = await cluster.connect(0, session);
  await stranded.subscribeAsync(topic, { qos: 1 });
  await cluster.edges[0]!.kill('SIGKILL');
  const killed = Date.now();
  const survivorExpired = async () =>
    total(await scrape(`http://127.0.0.1:${cluster.edges[1]!.httpPort}/metrics`), 'iotcore_sessions_expired_total');
  const expiredBefore = expired[1]!;
  while ((await survivorExpired()) === expiredBefore && Date.now() - killed < 20_000)
    await new Promise((resolve) => setTimeout(resolve, 250));
  const after = Date.now() - killed;
  t.diagnostic(`the killed edge's session expired ${after} ms after the kill (lease 3 s, expiry 2 s)`);
  assert.equal(await survivorExpired(), expiredBefore + 1, 'the stranded session, once');
  const returned = await cluster.connect(1, session);
  assert.equal(sessionPresent(returned), false, 'expired');
  assert.equal(onSecond.connected, true);
  await onSecond.endAsync();
  assert.equal(sessionPresent(await cluster.connect(1, roamer)), true, 'the session that moved was kept');
});
