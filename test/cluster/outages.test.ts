// Redis and the MongoDB-compatible server restart under a QoS 1 stream: the edges recover without
// a process restart, /readyz reports each outage while it lasts, and every acknowledged message
// reaches the persistent subscriber. Clients reconnect on their own, as devices do (also after a
// CONNACK 3, which mqtt.js 5 takes as final unless told otherwise: docs/field-notes.md, Clients).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startCluster, type NodeProcess } from './harness.js';
import { rawConnack } from '../edge/harness.js';

const N = 1500;
const WINDOW = 8;
const REGISTRY_PASSWORD = 'Outage-Registry-Pass1';
const DEVICE_PASSWORD = 'Outage-Device-Pass1!';

async function waitFor(what: string, condition: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const readiness = (edge: NodeProcess, check: string, expected: boolean) =>
  waitFor(`${edge.name} /readyz ${check}=${expected}`, async () => {
    const { status, checks } = await edge.readiness();
    return checks[check] === expected && (status === 200) === expected;
  });

test('Redis and MongoDB-compatible server restarts under a QoS 1 stream', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster({ edges: 2 });
  t.after(() => cluster.close());
  const [edgeA, edgeB] = cluster.edges as [NodeProcess, NodeProcess];
  for (const edge of [edgeA, edgeB]) assert.equal((await edge.readiness()).status, 200);
  const registryId = await cluster.api.createRegistry('outages', REGISTRY_PASSWORD);
  const deviceId = await cluster.api.createDevice(registryId, 'steady', DEVICE_PASSWORD);
  const topic = `$devices/${deviceId}/events`;

  const received = new Set<number>();
  const sink = mqtt.connect(cluster.url(1), {
    ca: cluster.ca,
    username: registryId,
    password: REGISTRY_PASSWORD,
    clientId: 'sink',
    clean: false,
    reconnectPeriod: 500,
    reconnectOnConnackError: true,
  });
  sink.on('message', (_topic, payload) => received.add(Number(payload.toString())));
  sink.on('error', () => undefined);
  t.after(() => sink.end(true));
  await new Promise((resolve) => sink.once('connect', resolve));
  await sink.subscribeAsync(topic, { qos: 1 });

  // mqtt.js keeps unacknowledged QoS 1 messages and sends them again after reconnecting.
  const device = mqtt.connect(cluster.url(0), {
    ca: cluster.ca,
    username: deviceId,
    password: DEVICE_PASSWORD,
    clientId: 'steady',
    reconnectPeriod: 500,
    reconnectOnConnackError: true,
  });
  device.on('error', () => undefined);
  t.after(() => device.end(true));
  // The device streams until both outages are over and messages flowed after each, N at least:
  // on a fast database a fixed N could all be acknowledged before the first restart ends.
  const acked = new Set<number>();
  let next = 0;
  let streaming = true;
  let allAckedResolve!: () => void;
  const allAcked = new Promise<void>((resolve) => (allAckedResolve = resolve));
  const pump = () => {
    while ((streaming || next < N) && next - acked.size < WINDOW) {
      const seq = next++;
      device.publish(topic, String(seq), { qos: 1 }, (error) => {
        if (error) return;
        acked.add(seq);
        pump();
      });
    }
    if (!streaming && next >= N && acked.size === next) allAckedResolve();
  };
  device.once('connect', pump);

  await waitFor('a third of the stream', async () => acked.size >= N / 3, 60_000);
  cluster.redis.kill('SIGKILL');
  await readiness(edgeA, 'redis_bus', false);
  await cluster.redis.restart();
  await readiness(edgeA, 'redis_bus', true);
  await readiness(edgeB, 'redis_bus', true);

  const afterRedis = acked.size;
  await waitFor('more messages after the Redis restart', async () => acked.size >= afterRedis + N / 5, 60_000);
  cluster.mongo.kill('SIGKILL');
  await readiness(edgeA, 'mqtt_state', false);
  assert.equal((await cluster.registry.readiness()).checks.registry_store, false, 'the registry reports its store down too');
  // A CONNECT meanwhile is refused in MQTT's terms, "Server unavailable", and at once: not after the
  // MongoDB driver's 5 s of server selection (the edge's session store, or the registry's reads).
  const newcomer = () => rawConnack(edgeA.port, cluster.ca, '127.0.0.1', deviceId, DEVICE_PASSWORD);
  const connectedAt = Date.now();
  assert.equal(await newcomer(), 3, 'CONNACK 3 while the session store is away');
  const refusedAfterMs = Date.now() - connectedAt;
  t.diagnostic(`CONNACK 3 after ${refusedAfterMs} ms`);
  assert.ok(refusedAfterMs < 4000, `refused after ${refusedAfterMs} ms, not at once`);
  await cluster.mongo.restart();
  await readiness(edgeA, 'mqtt_state', true);
  await readiness(edgeB, 'mqtt_state', true);
  assert.equal(await newcomer(), 0, 'accepted once the session store is back');

  const afterMongo = acked.size;
  await waitFor('more messages after the MongoDB-compatible server restart', async () => acked.size >= afterMongo + N / 5, 60_000);
  streaming = false;
  pump();
  await allAcked;
  await waitFor('every acknowledged message at the subscriber', async () => [...acked].every((seq) => received.has(seq)), 60_000).catch(
    () => undefined,
  );
  const lost = [...acked].filter((seq) => !received.has(seq));
  t.diagnostic(`acknowledged=${acked.size} received=${received.size} lost=${lost.length}`);
  assert.deepEqual(lost.slice(0, 20), [], `${lost.length} acknowledged messages never arrived`);
  assert.ok(edgeA.running && edgeB.running && cluster.registry.running, 'no process restarted or crashed');
});
