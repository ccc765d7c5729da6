// Per-client limits: subscriptions per connection (excess filters refused, connection kept),
// messages queued per persistent session (newest dropped and counted), expiry of persistent
// sessions that never come back, and nothing of a client left in the edge after it goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'prom-client';
import type { Packet } from 'mqtt';
import { registryAndDevice, startEdgeHarness, type EdgeHarness } from './harness.js';
import { aedesInternals } from '../../services/edge/aedes/internals.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';

async function fleet(harness: EdgeHarness): Promise<{ R: string; D: string }> {
  const { registry, device } = await registryAndDevice(harness, { registry: REGISTRY_PASSWORD, device: DEVICE_PASSWORD });
  return { R: registry, D: device };
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await register.getSingleMetric(name)?.get())?.values ?? [];
  return metric
    .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

/** Handlers in the edge's subscription trie (aedes' mqemitter), whoever holds them. */
function trieEntries(harness: EdgeHarness): number {
  const matcher = (harness.edge.broker as unknown as { mq: { _matcher: { get_trie(): Map<string, unknown> } } }).mq._matcher;
  const walk = (node: Map<string, unknown>): number => {
    let count = 0;
    for (const [word, child] of node)
      count +=
        word === '/'
          ? ((child as { size?: number; length?: number }).size ?? (child as unknown[]).length ?? 1)
          : walk(child as Map<string, unknown>);
    return count;
  };
  return walk(matcher.get_trie());
}

test('past --max-subscriptions a filter gets SUBACK 0x80 and the connection stays', async (t) => {
  const harness = await startEdgeHarness({ maxSubscriptions: 5 });
  t.after(() => harness.close());
  const { R } = await fleet(harness);
  const hitsBefore = await counter('iotcore_limit_hits_total', { limit: 'subscriptions' });
  const backend = await harness.connect({ username: R, password: REGISTRY_PASSWORD });
  // mqtt.js rejects a SUBSCRIBE with any 0x80 in it: read the SUBACK itself.
  const suback = (filters: string[], qos: 0 | 1) =>
    new Promise<number[]>((resolve) => {
      const onPacket = (packet: Packet) => {
        if (packet.cmd !== 'suback') return;
        backend.off('packetreceive', onPacket);
        resolve(packet.granted as number[]);
      };
      backend.on('packetreceive', onPacket);
      backend.subscribe(filters, { qos }, () => undefined);
    });
  assert.deepEqual(
    await suback(
      Array.from({ length: 7 }, (_, index) => `$devices/+/events/f${index}`),
      1,
    ),
    [1, 1, 1, 1, 1, 128, 128],
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(backend.connected, 'the connection stays');
  // Subscribing again to a filter it holds is not a new subscription.
  assert.deepEqual(await suback(['$devices/+/events/f0'], 0), [0]);
  assert.equal((await counter('iotcore_limit_hits_total', { limit: 'subscriptions' })) - hitsBefore, 2);
});

test('after 100,000 subscriptions and a disconnect the edge holds nothing of the client', { timeout: 120_000 }, async (t) => {
  const harness = await startEdgeHarness({ maxSubscriptions: 0 });
  t.after(() => harness.close());
  const { R } = await fleet(harness);
  const baseline = trieEntries(harness);
  const backend = await harness.connect({ username: R, password: REGISTRY_PASSWORD });
  for (let batch = 0; batch < 100; batch++) {
    await backend.subscribeAsync(
      Array.from({ length: 1000 }, (_, index) => `$devices/+/events/b${batch}/f${index}`),
      { qos: 0 },
    );
  }
  assert.equal(trieEntries(harness) - baseline, 100_000);
  await backend.endAsync();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(trieEntries(harness), baseline);
});

test('a persistent session queues at most --max-queued-messages; the newest are dropped and counted', async (t) => {
  const harness = await startEdgeHarness({ sessions: { maxQueuedMessages: 5, maxQueuedBytes: 0, expirySeconds: 0 } });
  t.after(() => harness.close());
  const { R, D } = await fleet(harness);
  const session = { username: R, password: REGISTRY_PASSWORD, clientId: 'consumer', clean: false };
  const consumer = await harness.connect(session);
  await consumer.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  await consumer.endAsync();
  const droppedBefore = await counter('iotcore_messages_dropped_total', { reason: 'queue_full' });
  const device = await harness.connect({ username: D, password: DEVICE_PASSWORD });
  for (let index = 0; index < 20; index++) await device.publishAsync(`$devices/${D}/events`, String(index), { qos: 1 });
  assert.equal((await counter('iotcore_messages_dropped_total', { reason: 'queue_full' })) - droppedBefore, 15);
  const received: string[] = [];
  const back = await harness.connect({ ...session, manualConnect: false });
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(
    received.sort((a, b) => Number(a) - Number(b)),
    ['0', '1', '2', '3', '4'],
  );
});

test('a persistent session offline past --session-expiry-seconds is removed with its subscriptions and queue', async (t) => {
  const harness = await startEdgeHarness({ sessions: { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 1 } });
  t.after(() => harness.close());
  const { R, D } = await fleet(harness);
  const session = { username: R, password: REGISTRY_PASSWORD, clientId: 'abandoned', clean: false };
  const consumer = await harness.connect(session);
  await consumer.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  await consumer.endAsync();
  const device = await harness.connect({ username: D, password: DEVICE_PASSWORD });
  await device.publishAsync(`$devices/${D}/events`, 'queued before expiry', { qos: 1 });
  const expiredBefore = await counter('iotcore_sessions_expired_total', {});
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.equal((await counter('iotcore_sessions_expired_total', {})) - expiredBefore, 1);
  // Nothing is queued for it any more: a message now matches no subscription of that session.
  await device.publishAsync(`$devices/${D}/events`, 'after expiry', { qos: 1 });
  const received: string[] = [];
  const back = await harness.connect(session);
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(received, []);
});

test('a subscriber that stops reading loses QoS 0 messages once 1 MiB behind, alone: another one gets them all', async (t) => {
  const harness = await startEdgeHarness();
  t.after(() => harness.close());
  const { R, D } = await fleet(harness);
  const topic = `$devices/${D}/events`;
  const stuck = await harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'stuck' });
  await stuck.subscribeAsync(topic, { qos: 0 });
  (stuck.stream as unknown as { pause(): void }).pause();
  const healthy = await harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'healthy' });
  await healthy.subscribeAsync(topic, { qos: 0 });
  let received = 0;
  healthy.on('message', () => received++);
  const droppedBefore = await counter('iotcore_messages_dropped_total', { reason: 'slow_consumer' });

  // 20 MiB in 2 KiB messages, more than the stuck subscriber's 1 MiB and the kernel's buffers hold;
  // 100 at a time, each lot received by the healthy subscriber before the next, so it stays current.
  const device = await harness.connect({ username: D, password: DEVICE_PASSWORD });
  const payload = Buffer.alloc(2048, 1);
  const total = 10_000;
  for (let sent = 0; sent < total; ) {
    for (let index = 0; index < 100; index++, sent++) await device.publishAsync(topic, payload, { qos: 0 });
    const deadline = Date.now() + 5000;
    while (received < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.equal(received, total, 'the healthy subscriber got every message');
  // Without the limit, deliveries waited for the stuck one until aedes dropped it (10 s without a drain).
  const ids = aedesInternals.clients(harness.edge.broker).map((client) => client.id);
  assert.ok(
    ids.some((id) => id.endsWith('stuck')),
    `the stuck subscriber is still connected: nobody waited for it (${ids.join(', ')})`,
  );
  const dropped = (await counter('iotcore_messages_dropped_total', { reason: 'slow_consumer' })) - droppedBefore;
  assert.ok(dropped > 0 && dropped < total, `the stuck subscriber's messages past its limit were dropped and counted (${dropped})`);
  await Promise.all([healthy.endAsync(), device.endAsync(), stuck.endAsync(true)]);
});
