// The brute-force counters of auth-throttle.ts shared by a cluster's edges through Redis: per key a
// counter (INCR, forgotten by PEXPIRE after a quiet window) and, once past its free failures, a
// block key that expires with the back-off (SET PX), both written by one Lua script so concurrent
// failures on different edges count exactly. Redis' own clock ends the back-offs, so edges' clocks
// need not agree.
//
// Its own connection fails fast — no offline queue, a short command timeout, and a deadline on each
// call — because a CONNECT must not wait for a Redis that is away: the throttle then falls back to
// its local counters. The deadline is for Redis Cluster: while a failed master's replica takes
// over, ioredis retries a command on its slots (redirections) for 1–1.7 s, past the command timeout.
import { openRedis } from '../../common/redis.js';
import type { BackoffPolicy, FailureCount } from './failure-table.js';
import type { SharedFailureCounters } from './auth-throttle.js';

const COMMAND_TIMEOUT_MS = 250;

// KEYS: counter, block key. ARGV: forgetAfterMs, freeFailures, blocks (1/0), baseDelayMs, maxDelayMs.
// Returns { failures, back-off ms just started (0: none) }.
const ADD_FAILURE = `
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local free = tonumber(ARGV[2])
if ARGV[3] ~= '1' or failures <= free then return { failures, 0 } end
local delay = math.floor(math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ (failures - free - 1)))
redis.call('SET', KEYS[2], '1', 'PX', delay)
return { failures, delay }
`;

export interface RedisFailureCounters extends SharedFailureCounters {
  close(): Promise<void>;
}

export function redisFailureCounters(url: string, options: { prefix?: string } = {}): RedisFailureCounters {
  const prefix = options.prefix ?? 'iotcore:auth:';
  const redis = openRedis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  });
  // Errors surface where commands fail (and are reported there); without a listener ioredis logs each.
  redis.on('error', () => undefined);
  // One hash tag per key: the script touches both, which a Redis Cluster allows only on one shard.
  const counter = (key: string) => `${prefix}{${key}}`;
  const block = (key: string) => `${prefix}{${key}}:blocked`;

  return {
    async add(entries: Array<{ key: string; policy: BackoffPolicy }>): Promise<FailureCount[]> {
      return Promise.all(
        entries.map(async ({ key, policy }) => {
          const args = [policy.forgetAfterMs, policy.freeFailures, policy.blocks ? 1 : 0, policy.baseDelayMs, policy.maxDelayMs];
          const [failures, delay] = (await answered(redis.eval(ADD_FAILURE, 2, counter(key), block(key), ...args))) as [number, number];
          return { failures, blockedUntil: delay > 0 ? Date.now() + delay : 0 };
        }),
      );
    },
    async blockedFor(keys: string[]): Promise<number[]> {
      const left = await answered(Promise.all(keys.map((key) => redis.pttl(block(key)))));
      return left.map((ms) => Math.max(0, ms));
    },
    async clear(key: string): Promise<void> {
      await answered(redis.del(counter(key), block(key)));
    },
    async close(): Promise<void> {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The answer of `call`, or an error once COMMAND_TIMEOUT_MS have passed without one. */
function answered<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}
