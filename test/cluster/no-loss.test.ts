// No acknowledged QoS 1 message is lost when edges die: a device streams numbered QoS 1 messages
// through edge A to a persistent subscriber on edge B; B is killed with SIGKILL mid-stream and the
// subscriber resumes its session on edge C; then A is killed and the device carries on through C.
// Every message that got a PUBACK must arrive at least once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { startCluster } from './harness.js';

const WINDOW = 8;
const REGISTRY_PASSWORD = 'NoLoss-Registry-Pass1';
const DEVICE_PASSWORD = 'NoLoss-Device-Pass1!';

// Also on a 3-master Redis Cluster, with a shorter stream (the same kills, at the same fractions).
for (const { N, redisCluster } of [
  { N: 10_000, redisCluster: false },
  { N: 3000, redisCluster: true },
]) {
  test(`no acknowledged QoS 1 message is lost when edges are killed (N = ${N}${redisCluster ? ', Redis Cluster' : ''})`, {
    timeout: 240_000,
  }, async (t) => {
    const cluster = await startCluster({ edges: 3, redisCluster });
    t.after(async () => {
      if (process.env.CLUSTER_DEBUG)
        for (const node of [...cluster.edges, cluster.registry]) console.log(`--- ${node.name}\n${node.logTail(15)}`);
      await cluster.close();
    });
    const registryId = await cluster.api.createRegistry('stream', REGISTRY_PASSWORD);
    const deviceId = await cluster.api.createDevice(registryId, 'streamer', DEVICE_PASSWORD);
    const topic = `$devices/${deviceId}/events`;
    const clients: MqttClient[] = [];
    t.after(() => clients.forEach((client) => client.end(true)));

    // --- the persistent subscriber: on B, moving on by itself to C when B goes away -------------
    const received = new Map<number, number>();
    let refusedConnects = 0;
    let sinkConnections = 0;
    const sink = mqtt.connect({
      protocol: 'mqtts',
      servers: [1, 2].map((edge) => ({ host: 'localhost', port: cluster.edges[edge]!.port })),
      ca: cluster.ca,
      username: registryId,
      password: REGISTRY_PASSWORD,
      clientId: 'sink',
      clean: false,
      reconnectPeriod: 200,
    });
    clients.push(sink);
    sink.on('message', (_topic, payload) => {
      const seq = Number(payload.toString());
      received.set(seq, (received.get(seq) ?? 0) + 1);
    });
    sink.on('error', () => undefined);
    sink.on('connect', () => sinkConnections++);
    await new Promise((resolve) => sink.once('connect', resolve));
    await sink.subscribeAsync(topic, { qos: 1 });
    /** A device retries CONNACK 3 (server unavailable) after a pause, as real firmware does. */
    const withRetries = async <T>(attempt: () => Promise<T>): Promise<T> => {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt();
        } catch (error) {
          if ((error as { code?: number }).code !== 3 || tries >= 10) throw error;
          refusedConnects++;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };

    // --- the publisher, a window of QoS 1 messages in flight ------------------------------------
    const acked = new Set<number>();
    const pending: number[] = Array.from({ length: N }, (_, i) => i);
    let killedB = false;
    let killedA = false;
    const stream = (edge: number) =>
      withRetries(
        () =>
          new Promise<'closed' | 'done'>((resolve, reject) => {
            const client = mqtt.connect(cluster.url(edge), {
              ca: cluster.ca,
              username: deviceId,
              password: DEVICE_PASSWORD,
              clientId: `streamer-${edge}`,
              reconnectPeriod: 0,
            });
            clients.push(client);
            const inflight = new Set<number>();
            let open = true;
            const pump = () => {
              while (open && inflight.size < WINDOW && pending.length > 0) {
                const seq = pending.shift()!;
                inflight.add(seq);
                client.publish(topic, String(seq), { qos: 1 }, (error) => {
                  if (!open || error) return;
                  inflight.delete(seq);
                  acked.add(seq);
                  if (!killedB && acked.size >= N * 0.3) {
                    killedB = true;
                    void cluster.edges[1]!.kill('SIGKILL');
                  }
                  if (!killedA && acked.size >= N * 0.6) {
                    killedA = true;
                    void cluster.edges[0]!.kill('SIGKILL');
                  }
                  if (acked.size === N) resolve('done');
                  pump();
                });
              }
            };
            let connected = false;
            client.once('connect', () => {
              connected = true;
              pump();
            });
            // After CONNACK an error (the edge was killed) is followed by 'close', handled below.
            client.on('error', (error) => connected || reject(error));
            client.once('close', () => {
              if (!open) return;
              open = false;
              // Unacknowledged messages are sent again through the next edge (at least once).
              pending.unshift(...[...inflight].sort((a, b) => a - b));
              resolve('closed');
            });
          }),
      );

    const started = Date.now();
    assert.equal(await stream(0), 'closed', 'edge A was killed under the publisher');
    assert.equal(await stream(2), 'done');
    const publishSeconds = (Date.now() - started) / 1000;
    assert.ok(killedA && killedB, 'both edges were killed mid-stream');

    const deadline = Date.now() + 60_000;
    while ([...acked].some((seq) => !received.has(seq)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const lost = [...acked].filter((seq) => !received.has(seq));
    const duplicates = [...received.values()].reduce((sum, count) => sum + count - 1, 0);
    t.diagnostic(
      `N=${N} acknowledged=${acked.size} received=${received.size} duplicates=${duplicates} lost=${lost.length} CONNACK-3 retries=${refusedConnects} subscriber connections=${sinkConnections} publish time=${publishSeconds.toFixed(1)} s`,
    );
    assert.ok(sinkConnections >= 2, 'the subscriber resumed its session after edge B died');
    assert.deepEqual(
      ranges(lost),
      [],
      `${lost.length} acknowledged messages never arrived (killed B after ${N * 0.3}, A after ${N * 0.6})`,
    );
    assert.equal(acked.size, N);
  });
}

/** Sorted numbers as compact ranges ("12-40"), at most 20 of them, for a readable failure. */
function ranges(numbers: number[]): string[] {
  const sorted = [...numbers].sort((a, b) => a - b);
  const out: string[] = [];
  for (let index = 0; index < sorted.length && out.length < 20; ) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    out.push(end === index ? `${sorted[index]}` : `${sorted[index]}-${sorted[end]}`);
    index = end + 1;
  }
  return out;
}
