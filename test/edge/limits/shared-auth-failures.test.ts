// The brute-force counters shared through a real Redis: two throttles with their own connections
// stand for two edges. Guesses spread over them count as if made at one; Redis away → each falls
// back to its own counters (fails open) within the command timeout, also while a Redis Cluster
// replaces a failed master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from '../../../services/edge/limits/auth-throttle.js';
import { redisFailureCounters } from '../../../services/edge/limits/shared-auth-failures.js';
import { Redis } from 'ioredis';
import { redisUrl, startRedisCluster } from '../../support/servers.js';
import { freePort } from '../../support/ports.js';

test('shared counters: guesses spread over two edges are refused on both', async (t) => {
  const url = await redisUrl();
  const prefix = `iotcore-test:${process.pid}:${Date.now()}:`;
  const [one, two] = [redisFailureCounters(url, { prefix }), redisFailureCounters(url, { prefix })];
  t.after(() => Promise.all([one.close(), two.close()]));
  const edges = [new AuthThrottle({ shared: one }), new AuthThrottle({ shared: two })];
  await new Promise((resolve) => setTimeout(resolve, 200)); // both connections up

  // Six failures for (address, username), alternating edges: both refuse that pair, nothing else.
  for (let attempt = 0; attempt < 6; attempt++) {
    const edge = edges[attempt % 2]!;
    assert.equal(await edge.refusal('10.1.0.1', 'device-a'), undefined, `attempt ${attempt + 1}`);
    await edge.failure('10.1.0.1', 'device-a');
  }
  for (const edge of edges) {
    assert.equal(await edge.refusal('10.1.0.1', 'device-a'), 'address_username');
    assert.equal(await edge.refusal('10.1.0.2', 'device-a'), undefined, 'the owner elsewhere is not refused');
    assert.equal(await edge.refusal('10.1.0.1', 'device-b'), undefined);
  }

  // 21 failures of one address over both edges: the address is refused on both, for every username;
  // the username crossing its guessing mark is reported once in the cluster.
  let reports = 0;
  for (let attempt = 0; attempt < 21; attempt++) {
    if ((await edges[attempt % 2]!.failure('10.1.0.3', 'device-c')).usernameGuessed) reports++;
  }
  for (const edge of edges) assert.equal(await edge.refusal('10.1.0.3', 'anything'), 'address');
  assert.equal(reports, 1);

  // A success on one edge ends that pair's back-off on the other too.
  await edges[0]!.success('10.1.0.1', 'device-a');
  assert.equal(await edges[1]!.refusal('10.1.0.1', 'device-a'), undefined);
});

test('shared counters: Redis unreachable → the throttle fails open to its own counters', async (t) => {
  const counters = redisFailureCounters(`redis://127.0.0.1:${await freePort()}`);
  t.after(() => counters.close());
  const errors: unknown[] = [];
  const throttle = new AuthThrottle({ shared: counters, onSharedError: (error) => errors.push(error) });
  const started = Date.now();
  assert.equal(await throttle.refusal('10.2.0.1', 'device'), undefined);
  for (let attempt = 0; attempt < 6; attempt++) await throttle.failure('10.2.0.1', 'device');
  assert.equal(await throttle.refusal('10.2.0.1', 'device'), 'address_username', 'the local counters still brake');
  assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms without Redis`);
  assert.ok(errors.length >= 7, 'every failed Redis call is reported');
});

test('shared counters on a Redis Cluster: while a failed master is replaced, each call answers or fails within the deadline', async (t) => {
  const redisCluster = await startRedisCluster();
  t.after(() => redisCluster.stop());
  const counters = redisFailureCounters(`redis+cluster://127.0.0.1:${redisCluster.nodes[0]!.port}`, { prefix: 'failover:' });
  t.after(() => counters.close());
  const throttle = new AuthThrottle({ shared: counters });
  // The throttle's key for the address (auth-throttle.ts keysOf), whose master is killed.
  const key = 'a:10.3.0.1';
  // Connected to the cluster once its layout is known (until then calls fail at once).
  const reachable = () =>
    counters.blockedFor([key]).then(
      () => true,
      () => false,
    );
  for (let tries = 0; !(await reachable()); tries++) {
    assert.ok(tries < 50, 'the counters reach the cluster');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const probe = new Redis(redisCluster.nodes[0]!.url);
  t.after(() => probe.disconnect());
  const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', `failover:{${key}}:blocked`));
  const ranges = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const masterPort = ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
  redisCluster.nodes.find((node) => node.port === masterPort)!.kill('SIGKILL');

  // A CONNECT asks for the back-off first and clears it on success: neither may wait for the failover.
  const slowest = { refusal: 0, success: 0 };
  for (let attempt = 0; attempt < 5; attempt++) {
    let started = Date.now();
    assert.equal(await throttle.refusal('10.3.0.1', 'device'), undefined);
    slowest.refusal = Math.max(slowest.refusal, Date.now() - started);
    started = Date.now();
    await throttle.success('10.3.0.1', 'device');
    slowest.success = Math.max(slowest.success, Date.now() - started);
  }
  t.diagnostic(`slowest refusal check ${slowest.refusal} ms, slowest success ${slowest.success} ms`);
  assert.ok(slowest.refusal < 750 && slowest.success < 750, `a call waited for the failover: ${JSON.stringify(slowest)}`);
});
