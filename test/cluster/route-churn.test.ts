// Route churn (#14): a thousand subscribers connect, subscribe to a filter of their own and leave,
// across three edges, each with a message published on another edge right after its SUBACK: every
// one arrives (no window between SUBACK and routable). Then an edge is SIGKILLed: its lease runs
// out, its routes are dropped from Redis and from every survivor's replica.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { startCluster } from './harness.js';

/** These tests are about the route table (the default bus). */
import { nextMessage } from '../edge/harness.js';
import { scrape, total } from '../support/prometheus-text.js';

const REGISTRY_PASSWORD = 'Churn-Registry-Pass1';
const DEVICE_PASSWORD = 'Churn-Device-Pass1!';
const SUBSCRIBERS = 1000;
const AT_ONCE = 25;
const EDGES = 3;

test(`${SUBSCRIBERS} subscribers come and go across ${EDGES} edges: a message published right after SUBACK always arrives; a killed edge's routes go`, {
  timeout: 300_000,
}, async (t) => {
  const cluster = await startCluster({ edges: EDGES, clusterBus: 'routes' });
  const redis = new Redis(cluster.redis.url);
  const publishers: MqttClient[] = [];
  t.after(async () => {
    publishers.forEach((client) => client.end(true));
    redis.disconnect();
    await cluster.close();
  });
  const registryId = await cluster.api.createRegistry('churn', REGISTRY_PASSWORD);
  const deviceId = await cluster.api.createDevice(registryId, 'publisher', DEVICE_PASSWORD);
  for (let edge = 0; edge < EDGES; edge++)
    publishers.push(await cluster.connect(edge, { username: deviceId, password: DEVICE_PASSWORD, clientId: `publisher-${edge}` }));

  let lost = 0;
  const started = Date.now();
  for (let wave = 0; wave < SUBSCRIBERS / AT_ONCE; wave++) {
    await Promise.all(
      Array.from({ length: AT_ONCE }, async (_, index) => {
        const n = wave * AT_ONCE + index;
        const edge = n % EDGES;
        const topic = `$devices/${deviceId}/events/churn-${n}`;
        const subscriber = await cluster.connect(edge, { username: registryId, password: REGISTRY_PASSWORD, clientId: `subscriber-${n}` });
        try {
          await subscriber.subscribeAsync(topic, { qos: 1 });
          const arrived = nextMessage(subscriber, topic, 5000).then(
            () => true,
            () => false,
          );
          await publishers[(edge + 1) % EDGES]!.publishAsync(topic, String(n), { qos: 1 });
          if (!(await arrived)) lost++;
        } finally {
          await subscriber.endAsync();
        }
      }),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(
    `${SUBSCRIBERS} subscribers in ${seconds.toFixed(1)} s (${Math.round(SUBSCRIBERS / seconds)}/s, ${AT_ONCE} at once): lost after SUBACK = ${lost}`,
  );
  assert.equal(lost, 0);

  // Every churned route is removed once its last subscriber's disconnect has been handled.
  const edges = await redis.zrange('{iotcore:routes}:edges', '0', '-1');
  const routesOf = async (edge: string) =>
    (await redis.smembers(`{iotcore:routes}:of:${edge}`)).filter((filter) => filter.includes('churn-'));
  let leftBehind = (await Promise.all(edges.map(routesOf))).flat();
  for (
    const settleBy = Date.now() + 5000;
    leftBehind.length > 0 && Date.now() < settleBy;
    leftBehind = (await Promise.all(edges.map(routesOf))).flat()
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(leftBehind, [], 'no churned route left behind');

  // A subscriber that stays on edge 2, then edge 2 dies without a word.
  const stayer = await cluster.connect(2, { username: registryId, password: REGISTRY_PASSWORD, clientId: 'stayer', reconnectPeriod: 0 });
  stayer.on('error', () => undefined);
  await stayer.subscribeAsync(`$devices/${deviceId}/events/stay`, { qos: 0 });
  const before = new Set(await redis.zrange('{iotcore:routes}:edges', '0', '-1'));
  await cluster.edges[2]!.kill('SIGKILL');
  const killedAt = Date.now();
  let remaining = before.size;
  while (remaining === before.size && Date.now() - killedAt < 15_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    remaining = await redis.zcard('{iotcore:routes}:edges');
  }
  const dropSeconds = (Date.now() - killedAt) / 1000;
  // The route table's members: the edges and the registry replica's publish-only MQTT node.
  assert.equal(remaining, EDGES + 1 - 1, 'the killed edge left the route table');
  const survivors = await redis.zrange('{iotcore:routes}:edges', '0', '-1');
  const gone = [...before].find((edge) => !survivors.includes(edge))!;
  assert.equal(await redis.exists(`{iotcore:routes}:of:${gone}`), 0, 'its routes are gone from Redis');
  // Each survivor's replica holds exactly the survivors' routes (its own included): together, each
  // route once per survivor.
  const survivorPorts = [cluster.edges[0]!.httpPort, cluster.edges[1]!.httpPort, cluster.registry.httpPort];
  const deadline = Date.now() + 5000;
  let converged = false;
  while (!converged && Date.now() < deadline) {
    const replicas = await Promise.all(
      survivorPorts.map(async (port) => total(await scrape(`http://127.0.0.1:${port}/metrics`), 'iotcore_route_table_entries')),
    );
    const sizes = await Promise.all(survivors.map((edge) => redis.scard(`{iotcore:routes}:of:${edge}`)));
    const routes = sizes.reduce((sum, size) => sum + size, 0);
    converged = replicas.reduce((sum, size) => sum + size, 0) === survivors.length * routes;
    if (!converged) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.diagnostic(`killed edge dropped from the route table ${dropSeconds.toFixed(1)} s after SIGKILL (lease 5 s)`);
  assert.ok(converged, "the survivors' replicas hold exactly the survivors' routes");
});
