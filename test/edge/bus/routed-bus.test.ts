// The route bus against a real Redis: what an edge registers is what its clients hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { routedBus } from '../../../services/edge/bus/routed-bus.js';
import { createLogger } from '../../../services/common/logging.js';
import { redisUrl } from '../../support/servers.js';

const logger = createLogger({ name: 'routed-bus-test', level: 'silent' });

test('routes added while an edge registers are not wiped by its registration', async (t) => {
  const url = await redisUrl();
  const redis = new Redis(url);
  t.after(() => redis.disconnect());
  const before = new Set(await redis.keys('{iotcore:routes}:of:*'));
  const bus = routedBus(url, logger);
  t.after(() => bus.close());
  // Subscriptions arrive one per millisecond from the moment the bus exists, so some of them land
  // between the registration's first command and the transaction that writes the edge's set.
  const filters = Array.from({ length: 60 }, (_, index) => `$iot/race/devices/d${index}/commands`);
  const subscribed = filters.map(
    (filter, index) => new Promise<void>((resolve) => setTimeout(() => bus.emitter.on(filter, (_message, done) => done(), resolve), index)),
  );
  await Promise.all(subscribed);
  const [key] = (await redis.keys('{iotcore:routes}:of:*')).filter((candidate) => !before.has(candidate));
  assert.ok(key, "the edge's route set exists");
  assert.deepEqual((await redis.smembers(key)).sort(), [...filters].sort());
});
