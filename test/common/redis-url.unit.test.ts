// Which URLs name a Redis, and how a Redis Cluster URL becomes ioredis' seed nodes (no server needed:
// the clients are made without connecting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { isRedisUrl, openRedis } from '../../services/common/redis.js';

test('redis://, rediss://, redis+cluster:// and rediss+cluster:// are Redis URLs; others are not', () => {
  for (const url of [
    'redis://127.0.0.1:6379',
    'rediss://user:secret@cache:6380/2',
    'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
    'rediss+cluster://u:p@a:1,b:2',
  ])
    assert.ok(isRedisUrl(url), url);
  for (const url of ['http://cache:6379', 'cache:6379', 'redis+cluster://', 'mongodb://x']) assert.ok(!isRedisUrl(url), url);
});

test('a cluster URL opens a Redis Cluster client seeded with its nodes and credentials; a plain one a single connection', () => {
  const cluster = openRedis('redis+cluster://ops:p%40ss@10.0.0.1:7000,10.0.0.2', { lazyConnect: true }) as unknown as Cluster;
  assert.ok(cluster instanceof Cluster);
  // ioredis keeps the seeds it was given in a field its typings call private.
  assert.deepEqual((cluster as unknown as { startupNodes: unknown }).startupNodes, [
    { host: '10.0.0.1', port: 7000 },
    { host: '10.0.0.2', port: 6379 },
  ]);
  assert.equal(cluster.options.redisOptions?.username, 'ops');
  assert.equal(cluster.options.redisOptions?.password, 'p@ss');
  const single = openRedis('redis://127.0.0.1:6390', { lazyConnect: true });
  assert.ok(single instanceof Redis);
  cluster.disconnect();
  single.disconnect();
});
