// Shared subscriptions across a cluster (#15): three backend replicas of one group on three edges
// share a QoS 1 stream, each message going to exactly one of them and evenly; a replica SIGKILLed
// mid-stream loses nothing, what it had not acknowledged going to the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { startCluster, type Cluster } from './harness.js';
import { scrape, total } from '../support/prometheus-text.js';

const REGISTRY_PASSWORD = 'Shared-Registry-Pass1';
const DEVICE_PASSWORD = 'Shared-Device-Pass1!';
const CONSUMER = fileURLToPath(new URL('./fixtures/shared-consumer.js', import.meta.url));
const FILTER = '$share/workers/$devices/+/events';
const EVENTS = 3000;

/** A consumer process and the payloads it printed. */
class Consumer {
  readonly received: string[] = [];
  readonly #child: ChildProcess;
  readonly subscribed: Promise<void>;

  constructor(cluster: Cluster, edge: number, registryId: string, name: string) {
    this.#child = spawn(process.execPath, [CONSUMER, cluster.url(edge), registryId, REGISTRY_PASSWORD, name, FILTER], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SHARED_CONSUMER_CA: cluster.ca.toString() },
    });
    let buffered = '';
    this.subscribed = new Promise((resolve, reject) => {
      this.#child.once('exit', (code, signal) => reject(new Error(`consumer ${name} exited (${code ?? signal})`)));
      this.#child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString()).split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (line === 'subscribed') resolve();
          else this.received.push(line);
        }
      });
    });
    this.subscribed.catch(() => undefined);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('shared subscription on 3 edges: 3 consumers, 3,000 QoS 1 events each delivered once, evenly; a consumer SIGKILLed mid-stream loses nothing', {
  timeout: 240_000,
}, async (t) => {
  const cluster = await startCluster({ edges: 3, clusterBus: 'routes' });
  const clients: MqttClient[] = [];
  const consumers: Consumer[] = [];
  t.after(async () => {
    consumers.forEach((consumer) => consumer.kill());
    clients.forEach((client) => client.end(true));
    await cluster.close();
  });
  const registryId = await cluster.api.createRegistry('shared', REGISTRY_PASSWORD);
  // One publisher per edge: each edge makes its own choices of member.
  const devices: MqttClient[] = [];
  for (let edge = 0; edge < 3; edge++) {
    const deviceId = await cluster.api.createDevice(registryId, `publisher-${edge}`, DEVICE_PASSWORD);
    const device = await cluster.connect(edge, { username: deviceId, password: DEVICE_PASSWORD, clientId: `publisher-${edge}` });
    clients.push(device);
    devices.push(device);
  }
  const publish = async (run: string, onProgress?: (sent: number) => Promise<void>) => {
    let sent = 0;
    await Promise.all(
      devices.map(async (device, edge) => {
        const topic = `$devices/${device.options.username}/events`;
        for (let n = edge; n < EVENTS; n += devices.length) {
          await device.publishAsync(topic, `${run}-${n}`, { qos: 1 });
          await onProgress?.(++sent);
        }
      }),
    );
  };
  const tally = (run: string) => {
    const counts = new Map<string, number>();
    for (const consumer of consumers)
      for (const payload of consumer.received) if (payload.startsWith(`${run}-`)) counts.set(payload, (counts.get(payload) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
    return { distinct: counts.size, duplicates };
  };

  for (let edge = 0; edge < 3; edge++) consumers.push(new Consumer(cluster, edge, registryId, `backend-${edge}`));
  await Promise.all(consumers.map((consumer) => consumer.subscribed));

  // Without faults: exactly once, spread evenly.
  const started = performance.now();
  await publish('steady');
  await until(() => tally('steady').distinct === EVENTS, 60_000, 'every steady event');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const steady = tally('steady');
  const shares = consumers.map((consumer) => consumer.received.filter((payload) => payload.startsWith('steady-')).length);
  t.diagnostic(
    `steady: ${EVENTS} events in ${((performance.now() - started) / 1000).toFixed(1)} s, per consumer ${shares.join(' / ')}, duplicates ${steady.duplicates}`,
  );
  assert.equal(steady.duplicates, 0, 'each event to exactly one member');
  for (const share of shares) assert.ok(Math.abs(share - EVENTS / 3) <= (EVENTS / 3) * 0.2, `spread within ±20%: ${shares.join(' / ')}`);

  // One consumer SIGKILLed a third of the way in: what it had not acknowledged goes to the others.
  let killed = false;
  await publish('fault', async (sent) => {
    if (!killed && sent >= EVENTS / 3) {
      killed = true;
      consumers[1]!.kill();
    }
  });
  await until(() => tally('fault').distinct === EVENTS, 60_000, `every event after the kill (have ${tally('fault').distinct})`).catch(
    (error: Error) => {
      t.diagnostic(`lost ${EVENTS - tally('fault').distinct}`);
      throw error;
    },
  );
  const fault = tally('fault');
  let redispatched = 0;
  for (const edge of cluster.edges)
    redispatched += total(await scrape(`http://127.0.0.1:${edge.httpPort}/metrics`), 'iotcore_shared_messages_redispatched_total');
  t.diagnostic(
    `consumer SIGKILLed after ${EVENTS / 3} publishes: ${fault.distinct}/${EVENTS} delivered (0 lost); ${redispatched} unacknowledged messages sent to another member, ${fault.duplicates} of them had been printed by the killed consumer (duplicates)`,
  );
  assert.equal(fault.distinct, EVENTS);
});
