// The trigger queue on Redis Streams, for a cluster: one stream per trigger, `{iotcore:trigger:<id>}`
// (its own hash tag, so a Redis Cluster spreads triggers over shards), read through one consumer
// group that every registry replica's delivery worker joins, so they share the work. An entry a
// consumer read stays in the group's pending list until XACK; one left idle past the claim time
// (its consumer was killed) is taken over with XAUTOCLAIM by the next worker that asks. Acknowledged
// entries are deleted, so the stream's length is the backlog, and the bound is checked in the same
// script that appends (XADD's MAXLEN would silently trim undelivered entries instead).
import type { Redis } from 'ioredis';
import type { TriggerMessage } from '../../contracts/trigger.js';
import type { QueuedTriggerMessage, TriggerQueue } from '../../contracts/trigger-queue.js';
import { openRedis } from '../redis.js';

const GROUP = 'delivery';

const APPEND_BOUNDED = `
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
return 1`;

export interface RedisTriggerQueueOptions {
  /** Entries a trigger's stream may hold. */
  maxEntries: number;
  /** How long a taken entry may go untouched before another consumer claims it. */
  claimIdleMs: number;
}

type StreamEntry = [id: string, fields: string[] | Record<string, string>] | null;

/**
 * XREADGROUP's entries of its one stream: RESP2's `[[key, entries]]`, or RESP3's map by key, which
 * ioredis hands over as a flat `[key, entries]` (or a Map/object, depending on its settings).
 */
function streamEntries(reply: unknown): StreamEntry[] {
  if (!reply) return [];
  if (Array.isArray(reply))
    return typeof reply[0] === 'string'
      ? ((reply[1] as StreamEntry[]) ?? [])
      : ((reply[0] as [string, StreamEntry[]] | undefined)?.[1] ?? []);
  if (reply instanceof Map) return ([...reply.values()][0] as StreamEntry[] | undefined) ?? [];
  return Object.values(reply as Record<string, StreamEntry[]>)[0] ?? [];
}

export function redisTriggerQueue(url: string, options: RedisTriggerQueueOptions): TriggerQueue {
  const redis: Redis = openRedis(url, { maxRetriesPerRequest: 2 });
  redis.defineCommand('iotcoreTriggerAppend', { numberOfKeys: 1, lua: APPEND_BOUNDED });
  const key = (triggerId: string) => `{iotcore:trigger:${triggerId}}`;
  const groups = new Set<string>();
  const ensureGroup = async (triggerId: string) => {
    if (groups.has(triggerId)) return;
    try {
      // From 0: entries appended before any worker asked are delivered too.
      await redis.xgroup('CREATE', key(triggerId), GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    groups.add(triggerId);
  };
  const decode = (entries: StreamEntry[]): QueuedTriggerMessage[] =>
    entries.flatMap((entry) => {
      // XAUTOCLAIM answers nil for an entry deleted meanwhile.
      if (!entry) return [];
      const [id, fields] = entry;
      const value = Array.isArray(fields) ? fields[fields.indexOf('m') + 1] : fields.m;
      return [{ id, message: JSON.parse(value!) as TriggerMessage }];
    });

  return {
    async append(triggerId, message) {
      const appended = await (redis as unknown as { iotcoreTriggerAppend(...args: unknown[]): Promise<number> }).iotcoreTriggerAppend(
        key(triggerId),
        options.maxEntries,
        JSON.stringify(message),
      );
      return appended === 1;
    },
    async take(triggerId, consumer, max) {
      await ensureGroup(triggerId);
      const [, claimed] = (await redis.call('XAUTOCLAIM', key(triggerId), GROUP, consumer, options.claimIdleMs, '0-0', 'COUNT', max)) as [
        string,
        StreamEntry[],
      ];
      const taken = decode(claimed);
      if (taken.length >= max) return taken;
      const fresh = await redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', max - taken.length, 'STREAMS', key(triggerId), '>');
      return [...taken, ...decode(streamEntries(fresh))];
    },
    async touch(triggerId, consumer, ids) {
      if (ids.length > 0) await redis.call('XCLAIM', key(triggerId), GROUP, consumer, 0, ...ids, 'JUSTID');
    },
    async ack(triggerId, ids) {
      if (ids.length === 0) return;
      await redis
        .multi()
        .xack(key(triggerId), GROUP, ...ids)
        .xdel(key(triggerId), ...ids)
        .exec();
    },
    length: (triggerId) => redis.xlen(key(triggerId)),
    async remove(triggerId) {
      await redis.del(key(triggerId));
      groups.delete(triggerId);
    },
    async close() {
      redis.disconnect();
    },
  };
}
