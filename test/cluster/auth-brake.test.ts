// The brute-force brake across edges (counters in Redis): guesses spread over two edges are refused
// on both as if made at one, the owner elsewhere connects through it all, with Redis stopped each
// edge keeps braking on its own counters while CONNECTs are still answered (fails open), and with
// Redis back they share again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';
import { rawConnack } from '../edge/harness.js';

const DEVICE_PASSWORD = 'Cluster-Device-Pass1!';
const OWNER = '127.0.0.1';

test('brute-force brake shared by two edges', async (t) => {
  const cluster: Cluster = await startCluster({ edges: 2 });
  t.after(() => cluster.close());
  const registryId = await cluster.api.createRegistry('brake', 'Cluster-Registry-Pass1');
  const device = await cluster.api.createDevice(registryId, 'd1', DEVICE_PASSWORD);
  const connack = (edge: number, from: string, username: string, password: string) =>
    rawConnack(cluster.edges[edge]!.port, cluster.ca, from, username, password);

  await t.test('six wrong passwords for a device from one address, alternating edges: that pair is refused on both', async () => {
    const guesser = '127.0.0.2';
    for (let attempt = 0; attempt < 6; attempt++)
      assert.equal(await connack(attempt % 2, guesser, device, `wrong-${attempt}`), 4, `guess ${attempt + 1}`);
    for (const edge of [0, 1]) {
      assert.equal(await connack(edge, guesser, device, DEVICE_PASSWORD), 5, `edge ${edge}: the guessing address backs off`);
      assert.equal(await connack(edge, OWNER, device, DEVICE_PASSWORD), 0, `edge ${edge}: the owner connects`);
    }
  });

  await t.test('21 failures of one address spread over the edges: the address is refused on both', async () => {
    const sprayer = '127.0.0.3';
    for (let attempt = 0; attempt < 21; attempt++)
      assert.equal(await connack(attempt % 2, sprayer, `nobody-${attempt}`, 'wrong-password-1'), 4);
    for (const edge of [0, 1]) assert.equal(await connack(edge, sprayer, device, DEVICE_PASSWORD), 5, `edge ${edge}`);
    assert.equal(await connack(1, OWNER, device, DEVICE_PASSWORD), 0);
  });

  await t.test('Redis stopped: CONNECTs are answered, and each edge brakes on its own counters', async () => {
    cluster.redis.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const guesser = '127.0.0.4';
    const started = Date.now();
    assert.equal(await connack(0, OWNER, device, DEVICE_PASSWORD), 0, 'the owner connects');
    for (let attempt = 0; attempt < 6; attempt++) assert.equal(await connack(0, guesser, device, `wrong-${attempt}`), 4);
    assert.equal(await connack(0, guesser, device, DEVICE_PASSWORD), 5, 'edge 0 remembers on its own');
    assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
    await cluster.redis.restart();
  });

  await t.test('Redis back: the edges share their counters again', async () => {
    const deadline = Date.now() + 20_000;
    for (const edge of cluster.edges) {
      while (!(await edge.readiness()).checks.redis_bus) {
        assert.ok(Date.now() < deadline, `${edge.name} did not reconnect to Redis`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    // The counters' own connection retries on the same schedule as the bus's.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const guesser = '127.0.0.5';
    for (let attempt = 0; attempt < 6; attempt++) assert.equal(await connack(0, guesser, device, `wrong-${attempt}`), 4);
    assert.equal(await connack(1, guesser, device, DEVICE_PASSWORD), 5, 'edge 1 sees the back-off started on edge 0');
  });
});
