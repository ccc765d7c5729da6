// The cluster's revocation feed on a real Redis: one numbering for every writer, followers that
// resume after their connection is killed, and gaps when the feed was trimmed or Redis lost its data.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisRevocationFeed } from '../../services/common/revocations/redis-feed.js';
import { createLogger } from '../../services/common/logging.js';
import type { FeedCursor, Revocation, RevocationHandler } from '../../services/contracts/revocations.js';
import { startRedis, type ServerHandle } from '../support/servers.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const deleted = (id: string): Revocation => ({ kind: 'DEVICE_DELETED', entity_id: id, registry_id: 'r', credential_id: '' });

function follower() {
  const ids: string[] = [];
  const cursors: FeedCursor[] = [];
  let gaps = 0;
  let ready = false;
  const handler: RevocationHandler = {
    revocation: (revocation, cursor) => {
      ids.push(revocation.entity_id);
      cursors.push(cursor);
    },
    gap: () => void gaps++,
    ready: () => void (ready = true),
    lost: () => void (ready = false),
  };
  return { handler, ids, cursors, gaps: () => gaps, ready: () => ready };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RedisRevocationFeed', () => {
  let redis: ServerHandle;
  let admin: Redis;
  before(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  after(async () => {
    admin.disconnect();
    await redis.stop();
  });

  test('two writers share one gap-free numbering; a follower sees every revocation once, in order', async () => {
    const [a, b, reader] = [
      new RedisRevocationFeed(redis.url, logger),
      new RedisRevocationFeed(redis.url, logger),
      new RedisRevocationFeed(redis.url, logger),
    ];
    const seen = follower();
    const stop = reader.follow(undefined, seen.handler);
    await until(seen.ready, 'ready');
    await Promise.all(Array.from({ length: 50 }, (_, index) => (index % 2 ? a : b).publish(deleted(`d${index}`))));
    await until(() => seen.ids.length === 50, '50 revocations');
    assert.deepEqual(
      seen.cursors.map((cursor) => cursor.seq),
      seen.cursors.map((_, index) => seen.cursors[0]!.seq + index),
    );
    assert.equal(new Set(seen.ids).size, 50);
    assert.equal(seen.gaps(), 0);
    stop();
    await Promise.all([a.close(), b.close(), reader.close()]);
  });

  test('a follower whose connection is killed during a burst resumes where it was: nothing lost, no gap', async () => {
    const [writer, reader] = [new RedisRevocationFeed(redis.url, logger), new RedisRevocationFeed(redis.url, logger)];
    const seen = follower();
    const stop = reader.follow(undefined, seen.handler);
    await until(seen.ready, 'ready');
    for (let index = 0; index < 200; index++) {
      await writer.publish(deleted(`k${index}`));
      if (index % 40 === 20) await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => undefined);
    }
    await until(() => seen.ids.length === 200, '200 revocations');
    assert.deepEqual(
      seen.ids,
      Array.from({ length: 200 }, (_, index) => `k${index}`),
    );
    assert.equal(seen.gaps(), 0);
    stop();
    await Promise.all([writer.close(), reader.close()]);
  });

  test('entries trimmed while a follower was away are a gap; so is a Redis that lost its data', async () => {
    const writer = new RedisRevocationFeed(redis.url, logger);
    const reader = new RedisRevocationFeed(redis.url, logger);
    const away = follower();
    let stop = reader.follow(undefined, away.handler);
    await until(away.ready, 'ready');
    await writer.publish(deleted('before'));
    await until(() => away.ids.length === 1, 'first revocation');
    stop();
    await writer.publish(deleted('trimmed'));
    await admin.xtrim('{iotcore:revocations}', 'MAXLEN', 0);
    const back = follower();
    stop = reader.follow(away.cursors[0], back.handler);
    await until(() => back.gaps() === 1 && back.ready(), 'a gap after trimming');
    await writer.publish(deleted('next'));
    await until(() => back.ids.length === 1, 'the next revocation');
    assert.deepEqual(back.ids, ['next']);
    // Redis forgets everything; the numbering starts over under a new epoch.
    await admin.flushall();
    await writer.publish(deleted('after-reset'));
    await until(() => back.ids.includes('after-reset'), 'the revocation after the reset', 15_000);
    assert.equal(back.gaps(), 2);
    assert.notEqual(back.cursors.at(-1)!.epoch, back.cursors[0]!.epoch);
    assert.equal(back.cursors.at(-1)!.seq, 1);
    stop();
    await Promise.all([writer.close(), reader.close()]);
  });
});
