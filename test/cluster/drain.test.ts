// Graceful drain: SIGTERM an edge holding 100 connections in a three-edge cluster. It turns
// not-ready, closes its connections spread over the drain window, and exits 0 before its deadline;
// every client reconnects to another edge, and a QoS 1 stream to a persistent subscriber on the
// drained edge loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startCluster, type Cluster } from './harness.js';

const CLIENTS = 100;
const REGISTRY_PASSWORD = 'Drain-Registry-Pass1';
const DEVICE_PASSWORD = 'Drain-Device-Pass1!';
const DRAIN_SECONDS = 3;
const DEADLINE_SECONDS = 15;

/**
 * A client that, like firmware with a host list, reconnects to the next edge when one goes away,
 * and retries a refused CONNECT (CONNACK 3 while the registry is busy) as firmware does.
 */
function roamingClient(cluster: Cluster, first: number, options: IClientOptions): MqttClient {
  const order = [first, ...[0, 1, 2].filter((edge) => edge !== first)];
  return mqtt.connect({
    protocol: 'mqtts',
    servers: order.map((edge) => ({ host: 'localhost', port: cluster.edges[edge]!.port })),
    ca: cluster.ca,
    reconnectPeriod: 300,
    reconnectOnConnackError: true,
    ...options,
  });
}

/**
 * A roaming client connected to edge `first`. A refused first CONNECT makes mqtt.js try the next
 * host at once, so such a client would start on another edge and never be drained: it is replaced.
 */
async function connectedTo(cluster: Cluster, first: number, options: IClientOptions): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    const client = roamingClient(cluster, first, options);
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    if ((client.stream as TLSSocket).remotePort === cluster.edges[first]!.port) return client;
    client.end(true);
    assert.ok(attempt < 5, `${options.clientId} could not connect to edge ${first} in ${attempt} attempts`);
  }
}

test(`SIGTERM drains an edge with ${CLIENTS} clients to the other edges`, { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({
    edges: 3,
    edgeArgs: ['--drain-seconds', String(DRAIN_SECONDS), '--drain-deadline-seconds', String(DEADLINE_SECONDS)],
  });
  t.after(() => cluster.close());
  const registryId = await cluster.api.createRegistry('drain', REGISTRY_PASSWORD);
  const deviceId = await cluster.api.createDevice(registryId, 'streamer', DEVICE_PASSWORD);
  const topic = `$devices/${deviceId}/events`;
  const clients: MqttClient[] = [];
  t.after(() => clients.forEach((client) => client.end(true)));

  // 100 connections on edge 0 (the registry's backend instances), noting which reconnect.
  const reconnected = new Set<string>();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const clientId = `worker-${i}`;
      const client = await connectedTo(cluster, 0, { username: registryId, password: REGISTRY_PASSWORD, clientId });
      client.on('connect', () => reconnected.add(clientId));
      clients.push(client);
    }),
  );

  // A persistent QoS 1 subscriber on the drained edge, a device streaming through edge 1.
  const received = new Set<number>();
  const sink = await connectedTo(cluster, 0, { username: registryId, password: REGISTRY_PASSWORD, clientId: 'sink', clean: false });
  sink.on('message', (_topic, payload) => received.add(Number(payload.toString())));
  clients.push(sink);
  await sink.subscribeAsync(topic, { qos: 1 });
  const device = await connectedTo(cluster, 1, { username: deviceId, password: DEVICE_PASSWORD, clientId: 'streamer' });
  clients.push(device);
  const acked = new Set<number>();
  let streaming = true;
  const stream = (async () => {
    for (let seq = 0; streaming; seq++) {
      await device.publishAsync(topic, String(seq), { qos: 1 });
      acked.add(seq);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, 500));
  const edge = cluster.edges[0]!;
  const started = Date.now();
  const exited = edge.kill('SIGTERM');
  const notReady = await edge.readiness().then(
    ({ status }) => status,
    () => 'gone',
  );
  const code = await exited;
  const seconds = (Date.now() - started) / 1000;
  assert.equal(code, 0, `the drained edge exits 0:\n${edge.logTail()}`);
  assert.ok(seconds < DEADLINE_SECONDS, `exited after ${seconds} s, before its ${DEADLINE_SECONDS} s deadline`);
  assert.ok(seconds >= DRAIN_SECONDS * 0.8, `connections were closed over the drain window (${seconds} s)`);
  assert.ok(notReady === 503 || notReady === 'gone', 'not ready while draining');

  const deadline = Date.now() + 30_000;
  while (clients.some((client) => !client.connected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(clients.filter((client) => client.connected).length, clients.length, 'every client is connected again, to another edge');
  assert.equal(reconnected.size, CLIENTS, `each of the ${CLIENTS} clients reconnected`);

  streaming = false;
  await stream;
  const waitUntil = Date.now() + 30_000;
  while ([...acked].some((seq) => !received.has(seq)) && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 200));
  const lost = [...acked].filter((seq) => !received.has(seq));
  t.diagnostic(`drain took ${seconds.toFixed(1)} s; ${CLIENTS} clients moved; QoS 1 acknowledged=${acked.size} lost=${lost.length}`);
  assert.deepEqual(lost, []);
});
