// The route bus's Redis keys and the connection type its parts share (layout: routed-bus.ts).
// Hash tags keep the route keys on one Redis Cluster shard and each inbox on one.
import type { Redis } from 'ioredis';

const ROUTES = '{iotcore:routes}';
/** Sorted set: edge ID → lease end (ms). */
export const EDGES_KEY = `${ROUTES}:edges`;
/** Stream: add / remove / reset / drop, in order (the change feed). */
export const CHANGES_KEY = `${ROUTES}:changes`;
/** Hash: edge ID → the last change it applied (for the SUBACK wait). */
export const APPLIED_KEY = `${ROUTES}:applied`;
/** Set: the filters an edge's clients hold (the snapshot). */
export const filtersKey = (edge: string) => `${ROUTES}:of:${edge}`;
/** Stream: messages for the edge. */
export const inboxKey = (edge: string) => `{iotcore:inbox:${edge}}`;
/** The feed connection's name prefix: peers tell from Redis' client list whether an edge follows the feed. */
export const FEED_CONNECTION = 'route-feed:';

/** Changes kept in the feed; a follower that falls further behind rebuilds from the snapshot. */
export const MAX_CHANGES = 100_000;
export const LEASE_MS = 5000;
/** How often an edge renews its lease. */
export const RENEW_MS = 500;
/** Inbox entries kept for a reader that is behind (each holds up to 100 messages: inbox-batches.ts). */
export const MAX_INBOX = 100_000;
export const RETRY_MS = 200;
export const BLOCK_MS = 5000;

// Drops an edge whose lease ran out; only the caller that removes it does the rest.
export const DROP_SCRIPT = `
local lease = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not lease or tonumber(lease) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'op', 'drop', 'edge', ARGV[1])
return 1`;

export type Connection = Redis & {
  dropEdge(
    edges: string,
    filters: string,
    changes: string,
    applied: string,
    edge: string,
    now: number,
    maxChanges: number,
  ): Promise<number>;
};

/** Orders Redis stream IDs (`<ms>-<seq>`); 'max' is above all of them. */
export function compareIds(a: string, b: string): number {
  if (a === 'max' || b === 'max') return a === b ? 0 : a === 'max' ? 1 : -1;
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
