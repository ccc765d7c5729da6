// The route bus against a real Redis: what an edge registers is what its clients hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import { routedBus } from '../../../services/edge/bus/routed-bus.js';
import { createLogger } from '../../../services/common/logging.js';
import { redisUrl } from '../../support/servers.js';

const logger = createLogger({ name: 'routed-bus-test', level: 'silent' });

test('routes added while an edge registers are not wiped by its registration', async (t) => {
  const url = await redisUrl();
  const redis = new Redis(url);
  t.after(() => redis.disconnect());
  const before = new Set(await redis.keys('{iotcore:routes}:of:*'));
  const bus = routedBus(url, logger, mqemitter());
  t.after(() => bus.close());
  // Subscriptions arrive one per millisecond from the moment the bus exists, so some of them land
  // between the registration's first command and the transaction that writes the edge's set.
  const filters = Array.from({ length: 60 }, (_, index) => `$iot/race/devices/d${index}/commands`);
  const subscribed = filters.map(
    (filter, index) => new Promise<void>((resolve) => setTimeout(() => bus.emitter.on(filter, (_message, done) => done(), resolve), index)),
  );
  await Promise.all(subscribed);
  // A test file running beside this one registers edges of its own on the same Redis: this bus's
  // route set is the new one holding its filters.
  const added = (await redis.keys('{iotcore:routes}:of:*')).filter((candidate) => !before.has(candidate));
  const sets = await Promise.all(added.map(async (key) => redis.smembers(key)));
  const own = sets.find((members) => members.some((member) => member.startsWith('$iot/race/')));
  assert.ok(own, "the edge's route set exists");
  assert.deepEqual(own.sort(), [...filters].sort());
});

test('a SUBSCRIBE does not wait for a peer that renews its lease but follows no feed (a dead or broadcasting edge)', async (t) => {
  const url = await redisUrl();
  const redis = new Redis(url);
  // A peer whose lease is fresh, kept fresh, that never applies a change and has no feed connection:
  // what an edge SIGKILLed a moment ago looks like until its last renewal is 1.5 s old.
  const ghost = `ghost-${Date.now()}`;
  const renew = () => redis.zadd('{iotcore:routes}:edges', Date.now() + 5000, ghost);
  await renew();
  const renewing = setInterval(() => void renew(), 200);
  const bus = routedBus(url, logger, mqemitter());
  t.after(async () => {
    clearInterval(renewing);
    await bus.close();
    await redis.zrem('{iotcore:routes}:edges', ghost);
    redis.disconnect();
  });
  const started = Date.now();
  await new Promise<void>((resolve) => bus.emitter.on('$iot/ghost/devices/d1/commands', (_message, done) => done(), resolve));
  const waited = Date.now() - started;
  // Without the feed check it waits out the whole 3 s bound.
  assert.ok(waited < 1000, `the SUBSCRIBE waited ${waited} ms`);
});

test('a peer whose lease ran out but that renews it before anyone drops it keeps getting its messages from an edge that rebuilt its replica meanwhile', async (t) => {
  const url = await redisUrl();
  const redis = new Redis(url);
  // The peer, as an edge cut off from Redis for longer than its lease looks once it is back: still
  // registered with its routes, lease in the past, renewing again. No change in the feed says so.
  const peer = `late-${Date.now()}`;
  const topic = `$iot/late/devices/${peer}/commands`;
  await redis.sadd(`{iotcore:routes}:of:${peer}`, topic);
  await redis.zadd('{iotcore:routes}:edges', Date.now() - 1, peer);
  const appliedBefore = new Set(Object.keys(await redis.hgetall('{iotcore:routes}:applied')));
  const bus = routedBus(url, logger, mqemitter());
  let renewing: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(renewing);
    await bus.close();
    await redis.del(`{iotcore:routes}:of:${peer}`, `{iotcore:inbox:${peer}}`);
    await redis.zrem('{iotcore:routes}:edges', peer);
    redis.disconnect();
  });
  // The new edge's replica is built (it reports what it applied) while the peer's lease is out...
  while (Object.keys(await redis.hgetall('{iotcore:routes}:applied')).every((edge) => appliedBefore.has(edge)))
    await new Promise((resolve) => setTimeout(resolve, 5));
  // ...and the peer renews before the new edge's first look for expired leases (every 500 ms).
  const renew = () => redis.zadd('{iotcore:routes}:edges', Date.now() + 5000, peer);
  await renew();
  renewing = setInterval(() => void renew(), 200);
  await new Promise<void>((resolve, reject) =>
    bus.emitter.emit({ topic, payload: Buffer.from('for the late peer') } as never, (error?: Error) => (error ? reject(error) : resolve())),
  );
  assert.equal(await redis.xlen(`{iotcore:inbox:${peer}}`), 1, "the message went to the peer's inbox");
});

test('an edge knows whether a topic reaches a subscriber on any edge, from its replica of the route table', async (t) => {
  const url = await redisUrl();
  const [a, b] = [routedBus(url, logger, mqemitter()), routedBus(url, logger, mqemitter())];
  t.after(() => Promise.all([a.close(), b.close()]));
  const registry = `wants-${Date.now()}`;
  const topic = `$iot/${registry}/monitoring/d1/json`;
  const until = async (condition: () => boolean, what: string) => {
    for (const deadline = Date.now() + 5000; !condition(); await new Promise((resolve) => setTimeout(resolve, 20)))
      assert.ok(Date.now() < deadline, what);
  };
  // While its replica is being built an edge cannot tell, and says yes.
  await until(() => b.wants?.(topic) === false, 'no subscriber anywhere');
  const listener = (_message: unknown, done: () => void) => done();
  await new Promise<void>((resolve) => a.emitter.on(`$iot/${registry}/monitoring/+/json`, listener, resolve));
  await until(() => b.wants?.(topic) === true, "the other edge's subscriber");
  assert.equal(b.wants?.(`$iot/${registry}/monitoring/d1/events`), false);
  await new Promise<void>((resolve) => a.emitter.removeListener(`$iot/${registry}/monitoring/+/json`, listener, resolve));
  await until(() => b.wants?.(topic) === false, 'the subscriber left');
});
