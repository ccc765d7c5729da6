// Routing across edges (#14): a message is sent only to the edges with a matching subscriber, so
// inter-edge traffic does not grow with the number of edges; and a QoS 1 stream to an online
// clean-session subscriber on another edge loses nothing when every Redis connection is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { startCluster } from './harness.js';
import { decodeEntry, decodeMessage } from '../../services/edge/bus/inbox-codec.js';

/** These tests are about the route table (the default bus). */

const REGISTRY_PASSWORD = 'Routing-Registry-Pass1';
const DEVICE_PASSWORD = 'Routing-Device-Pass1!';
const inbox = (edge: string) => `{iotcore:inbox:${edge}}`;

/** Messages whose topic contains `marker`, sent to each edge's inbox since `since` (an entry carries one or more). */
async function inboxSends(redis: Redis, since: Map<string, string>, marker: string): Promise<number> {
  let sends = 0;
  for (const [edge, after] of since) {
    for (const [, fields] of await redis.xrangeBuffer(inbox(edge), `(${after}`, '+')) {
      for (let index = 0; index + 1 < fields.length; index += 2) {
        if (fields[index]!.toString() !== 'b') continue;
        for (const [field, message] of decodeEntry(fields[index + 1]!))
          if (field === 'm' && decodeMessage(message).topic.includes(marker)) sends++;
      }
    }
  }
  return sends;
}

async function inboxHeads(redis: Redis): Promise<Map<string, string>> {
  const edges = await redis.zrange('{iotcore:routes}:edges', '0', '-1');
  return new Map(
    await Promise.all(
      edges.map(async (edge) => [edge, (await redis.xrevrange(inbox(edge), '+', '-', 'COUNT', '1'))[0]?.[0] ?? '0-0'] as [string, string]),
    ),
  );
}

test('6 edges, every device subscribed to its own commands, one registry subscriber: one inter-edge send per event at most', {
  timeout: 240_000,
}, async (t) => {
  const EDGES = 6;
  const DEVICES = 36;
  const EVENTS_PER_DEVICE = 10;
  const cluster = await startCluster({ edges: EDGES, clusterBus: 'routes' });
  const clients: MqttClient[] = [];
  const redis = new Redis(cluster.redis.url);
  t.after(async () => {
    clients.forEach((client) => client.end(true));
    redis.disconnect();
    await cluster.close();
  });
  const registryId = await cluster.api.createRegistry('routing', REGISTRY_PASSWORD);
  const backend = await cluster.connect(0, { username: registryId, password: REGISTRY_PASSWORD, clientId: 'backend' });
  clients.push(backend);
  await backend.subscribeAsync('$devices/+/events', { qos: 1 });
  const devices: MqttClient[] = [];
  for (let n = 0; n < DEVICES; n++) {
    const deviceId = await cluster.api.createDevice(registryId, `device-${n}`, DEVICE_PASSWORD);
    const device = await cluster.connect(n % EDGES, { username: deviceId, password: DEVICE_PASSWORD, clientId: `device-${n}` });
    await device.subscribeAsync(`$devices/${deviceId}/commands`, { qos: 1 });
    clients.push(device);
    devices.push(device);
  }

  const since = await inboxHeads(redis);
  // One inbox per edge, and one for the registry replica's publish-only MQTT node.
  assert.equal(since.size, EDGES + 1);
  let received = 0;
  const all = new Promise<void>((resolve) =>
    backend.on('message', () => {
      if (++received === DEVICES * EVENTS_PER_DEVICE) resolve();
    }),
  );
  await Promise.all(
    devices.map(async (device, n) => {
      const deviceId = device.options.username as string;
      for (let event = 0; event < EVENTS_PER_DEVICE; event++)
        await device.publishAsync(`$devices/${deviceId}/events`, `${n}/${event}`, { qos: 1 });
      // Nobody subscribes to this one.
      await device.publishAsync(`$devices/${deviceId}/events/unheard`, 'x', { qos: 1 });
    }),
  );
  await all;
  const events = DEVICES * EVENTS_PER_DEVICE;
  const sends = await inboxSends(redis, since, '/events');
  const remote = events - events / EDGES;
  t.diagnostic(
    `${EDGES} edges, ${events} events: ${sends} inter-edge sends (${(sends / events).toFixed(2)} per event; ${remote} events came from the edges without the subscriber); a broadcast bus sends ${events * EDGES}`,
  );
  assert.equal(
    sends,
    remote,
    'one send per event from an edge without the subscriber, none from its own edge, none for a topic nobody subscribes to',
  );
});

test('every Redis connection dropped during a QoS 1 stream to an online clean-session subscriber on another edge: nothing acknowledged is lost', {
  timeout: 180_000,
}, async (t) => {
  const cluster = await startCluster({ edges: 2, clusterBus: 'routes' });
  const clients: MqttClient[] = [];
  const admin = new Redis(cluster.redis.url);
  t.after(async () => {
    clients.forEach((client) => client.end(true));
    admin.disconnect();
    await cluster.close();
  });
  const registryId = await cluster.api.createRegistry('blip', REGISTRY_PASSWORD);
  const deviceId = await cluster.api.createDevice(registryId, 'streamer', DEVICE_PASSWORD);
  const topic = `$devices/${deviceId}/events`;
  const subscriber = await cluster.connect(1, {
    username: registryId,
    password: REGISTRY_PASSWORD,
    clientId: 'clean-subscriber',
    clean: true,
  });
  clients.push(subscriber);
  const received = new Map<number, number>();
  subscriber.on('message', (_topic, payload) => {
    const seq = Number(payload.toString());
    received.set(seq, (received.get(seq) ?? 0) + 1);
  });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  // Reconnects and resends what was not acknowledged, as firmware does.
  const device = await cluster.connect(0, { username: deviceId, password: DEVICE_PASSWORD, clientId: 'streamer', reconnectPeriod: 200 });
  clients.push(device);
  device.on('error', () => undefined);

  const acknowledged: number[] = [];
  let streaming = true;
  const stream = (async () => {
    for (let seq = 0; streaming; seq++) {
      await device.publishAsync(topic, String(seq), { qos: 1 });
      acknowledged.push(seq);
    }
  })();
  let kills = 0;
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    kills += Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
  }
  await new Promise((resolve) => setTimeout(resolve, 400));
  streaming = false;
  await stream;
  const deadline = Date.now() + 20_000;
  while (acknowledged.some((seq) => !received.has(seq)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const lost = acknowledged.filter((seq) => !received.has(seq));
  const duplicates = [...received.values()].filter((count) => count > 1).length;
  t.diagnostic(
    `Redis connections killed: ${kills} in 5 rounds; QoS 1 acknowledged=${acknowledged.length} received=${received.size} duplicates=${duplicates} lost=${lost.length}`,
  );
  assert.ok(kills >= 5 && acknowledged.length > 100, 'connections were dropped while messages flowed');
  assert.deepEqual(lost, []);
});
