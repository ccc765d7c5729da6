// The test infrastructure itself: the servers handed to tests are real and answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { mongoUrl, redisUrl, uniqueDbName } from './servers.js';

test('Redis from the test infrastructure answers PING and pub/sub', async () => {
  const publisher = new Redis(await redisUrl(), { lazyConnect: true });
  const subscriber = new Redis(await redisUrl(), { lazyConnect: true });
  await Promise.all([publisher.connect(), subscriber.connect()]);
  try {
    assert.equal(await publisher.ping(), 'PONG');
    await subscriber.subscribe('iotcore-test');
    const received = new Promise<string>((resolve) => subscriber.once('message', (_channel, message: string) => resolve(message)));
    await publisher.publish('iotcore-test', 'hello');
    assert.equal(await received, 'hello');
  } finally {
    publisher.disconnect();
    subscriber.disconnect();
  }
});

test('the MongoDB-compatible server stores documents and enforces unique indexes', async () => {
  const client = new MongoClient(await mongoUrl());
  await client.connect();
  try {
    const collection = client.db(uniqueDbName('infra')).collection<{ _id: string; name: string }>('things');
    await collection.createIndex({ name: 1 }, { unique: true });
    await collection.insertOne({ _id: 'a', name: 'one' });
    assert.deepEqual(await collection.findOne({ _id: 'a' }), { _id: 'a', name: 'one' });
    await assert.rejects(collection.insertOne({ _id: 'b', name: 'one' }), { code: 11000 });
  } finally {
    await client.close();
  }
});
