// The cluster bus: aedes' message emitter over Redis, routed by a cluster-wide route table instead
// of broadcast. Each edge registers the filters its clients hold; every edge keeps a replica of
// the table (route-table.ts) and sends a message only to the edges that have a matching
// subscriber, into each one's inbox — a Redis stream it reads with XREAD BLOCK from the last ID it
// saw, so a dropped connection loses nothing. Local subscribers get the message without Redis.
//
// Keys (hash tags keep the route keys on one Redis Cluster shard and each inbox on one):
//   {iotcore:routes}:edges       sorted set: edge ID → lease end (ms); an edge renews it twice a second
//   {iotcore:routes}:of:<edge>   set: the filters the edge's clients hold (the snapshot)
//   {iotcore:routes}:changes     stream: add / remove / reset / drop, in order (the change feed)
//   {iotcore:routes}:applied     hash: edge ID → the last change it applied (for the SUBACK wait)
//   {iotcore:inbox:<edge>}       stream: messages for the edge, msgpack; field `m` for its subscribers,
//                                `s<key>` for one member of the shared-subscription group `key` there
//                                (`S<key>`: forwarded once already, dropped if that edge has none either)
//
// Consistency: a SUBSCRIBE's callback (and so its SUBACK) waits until every live edge (lease renewed
// in the last 1.5 s) has applied the route (bounded: a peer that does not answer in 3 s is not
// following the feed, and such a peer broadcasts, below). A peer that holds the wait up for 100 ms
// with no route-feed connection open in Redis (CLIENT LIST) is not waited for either: it is dead, or
// its replica is not current and it broadcasts. That keeps an edge killed a moment ago from holding
// up the SUBSCRIBEs of the sessions resuming elsewhere until its lease renewals look stale.
// An edge whose replica may be stale (feed connection lost, not yet rebuilt) sends every message to
// every registered edge instead: more traffic, never a miss. A replica is rebuilt from the snapshot after
// any loss of its feed. An edge whose lease ran out is dropped by the first peer to notice: its
// routes and inbox go; if it was alive after all, it registers again and reports the loss.
//
// Shared subscriptions: a group's key (`$share/<group>/<filter>`) is a route like any filter; the
// edge that publishes sends each message reaching a group to one edge holding members of it, in
// turn (its own included), and that edge picks the member (round-robin over edges, then over each
// edge's members).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openRedis, throttledErrorLog } from '../../common/redis.js';
import mqemitter, { type MQEmitter, type Message } from 'mqemitter';
import { pack, unpack } from 'msgpackr';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import { timed } from '../../common/dependency-metrics.js';
import { RouteTable, type RouteChange } from './route-table.js';
import { InboxBatches } from './inbox-batches.js';
import { isSharedKey } from '../topics/shared-filter.js';
import { sharedMessagesUndeliverable, type SharedDelivery, type SharedRouting } from './shared-routing.js';

export interface ClusterBus {
  emitter: MQEmitter;
  /** This edge's ID in the route table (`EDGES_KEY`); none for the channel bus, which has no table. */
  id?: string;
  /** Messages for this edge may have been lost (its inbox was dropped or Redis lost its data). */
  onReconnect(listener: () => void): void;
  /** Every connection is up (a replica being rebuilt meanwhile broadcasts: it is no reason to refuse clients). */
  ready(): boolean;
  /** Cluster-wide shared subscriptions; absent on a bus that cannot pick one member cluster-wide. */
  shared?: SharedRouting;
  close(): Promise<void>;
}

const ROUTES = '{iotcore:routes}';
export const EDGES_KEY = `${ROUTES}:edges`;
const CHANGES_KEY = `${ROUTES}:changes`;
const APPLIED_KEY = `${ROUTES}:applied`;
const FEED_CONNECTION = 'route-feed:';
const filtersKey = (edge: string) => `${ROUTES}:of:${edge}`;
const inboxKey = (edge: string) => `{iotcore:inbox:${edge}}`;

const LEASE_MS = 5000;
const RENEW_MS = 500;
/** A SUBSCRIBE waits for the edges that renewed their lease this recently (a dead one is not waited for). */
const FOLLOWING_MS = 1500;
const BLOCK_MS = 5000;
const RETRY_MS = 200;
/** How long a SUBSCRIBE waits for every live edge to have applied its route. */
const ROUTE_WAIT_MS = 3000;
/** After this much of a wait, peers without a route-feed connection in Redis are not waited for. */
const FEED_CHECK_MS = 100;
const ROUTE_POLL_MS = 5;
/** Changes kept in the feed; a follower that falls further behind rebuilds from the snapshot. */
const MAX_CHANGES = 100_000;
/** Inbox entries kept for a reader that is behind (each holds up to 100 messages: inbox-batches.ts). */
const MAX_INBOX = 100_000;
/** After this, every edge has applied an edge's drop and nothing writes to its inbox any more. */
const ORPHAN_INBOX_MS = 10_000;

const sends = new Counter({
  name: 'iotcore_bus_sends_total',
  help: "messages sent to another edge's inbox, by how the target was chosen (route: the route table; broadcast: replica not current)",
  labelNames: ['mode'],
});
const routeEntries = new Gauge({
  name: 'iotcore_route_table_entries',
  help: "(edge, filter) entries in this edge's replica of the cluster route table",
});
const rebuilds = new Counter({
  name: 'iotcore_route_table_rebuilds_total',
  help: 'replica rebuilds from the snapshot (start, and after each loss of the change feed)',
});

// Drops an edge whose lease ran out; only the caller that removes it does the rest.
const DROP_SCRIPT = `
local lease = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not lease or tonumber(lease) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'op', 'drop', 'edge', ARGV[1])
return 1`;

type Connection = Redis & {
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

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;
type BufferStreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;

export function routedBus(url: string, logger: Logger): ClusterBus {
  const id = randomUUID();
  const logErrors = throttledErrorLog(logger, 'Redis bus error');
  const connect = (name: string, options: { enableAutoPipelining?: boolean } = {}) => {
    const connection = openRedis(url, { maxRetriesPerRequest: null, connectionName: `iotcore:${name}`, ...options }) as Connection;
    connection.defineCommand('dropEdge', { numberOfKeys: 4, lua: DROP_SCRIPT });
    logErrors(connection, name);
    return connection;
  };
  // Commands, the change feed and the inbox each on their own connection: the last two block.
  // The sends of one event-loop turn go to Redis in one write (one system call per command was a
  // sixth of a sending edge's CPU).
  const writer = connect('bus-writer', { enableAutoPipelining: true });
  // Named with the edge ID: peers tell from Redis' client list whether this edge follows the feed.
  const feed = connect(`${FEED_CONNECTION}${id}`);
  const inbox = connect('inbox');
  const local = mqemitter({ concurrency: 100 });
  const table = new RouteTable();
  /** Filters this edge's clients hold → how many; the first and last change the table. */
  const held = new Map<string, number>();
  /** Route registrations under way, so a second subscriber to a filter waits for the first. */
  const registering = new Map<string, Promise<void>>();
  const reconnectListeners: Array<() => void> = [];
  let closed = false;
  /** The replica reflects the feed up to `lastChange` (false: rebuilding, or the feed is lost). */
  let current = false;
  let lastChange = '0-0';
  let registeredEdges: { at: number; edges: string[] } = { at: 0, edges: [] };
  let everRegistered = false;

  // --- this edge's own routes -------------------------------------------------------------------

  /** (Re)registers this edge and all its routes; on a reconnect, tells whether messages were lost. */
  const register = async () => {
    // Lost: a peer dropped this edge (peers stopped routing here meanwhile), or Redis lost the inbox.
    const lost = everRegistered && ((await writer.zscore(EDGES_KEY, id)) === null || (await writer.exists(inboxKey(id))) === 0);
    // The inbox exists from now on (before any peer can route here): a missing inbox later means
    // Redis lost it. It lives on its own shard, so it is not part of the transaction.
    await writer.xadd(inboxKey(id), 'MAXLEN', '~', MAX_INBOX, '*', 'hello', '1');
    // Read only now, next to the transaction that replaces the set: a route added while the inbox
    // was being created went to Redis before this transaction and would be wiped by it otherwise.
    const filters = [...held.keys()];
    const transaction = writer
      .multi()
      .zadd(EDGES_KEY, Date.now() + LEASE_MS, id)
      .del(filtersKey(id));
    if (filters.length > 0) transaction.sadd(filtersKey(id), ...filters);
    transaction.xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'reset', 'edge', id);
    await transaction.exec();
    everRegistered = true;
    if (lost) {
      logger.warn("this edge's inbox was lost (Redis lost its data, or the edge was taken for dead): reconnecting persistent sessions");
      reconnectListeners.forEach((listener) => listener());
    }
  };
  writer.on('ready', () => {
    register().catch((error: unknown) =>
      logger.warn({ err: error }, "could not register this edge's routes; retrying at the next renewal"),
    );
  });

  /** A dropped edge's inbox, unless the edge has registered again since (and reads it). */
  const deleteInboxUnlessRegistered = async (edge: string) => {
    if ((await writer.zscore(EDGES_KEY, edge)) === null) await writer.del(inboxKey(edge));
  };

  const renew = setInterval(() => {
    // While Redis is away, renewals would only pile up in ioredis' queue.
    if (writer.status !== 'ready') return;
    void (async () => {
      const renewed = await writer.zadd(EDGES_KEY, 'XX', 'CH', Date.now() + LEASE_MS, id);
      // Dropped by a peer that took this edge for dead: register again (and report the loss).
      if (Number(renewed) === 0 && (await writer.zscore(EDGES_KEY, id)) === null) await register();
      const expired = await writer.zrangebyscore(EDGES_KEY, '-inf', Date.now());
      for (const edge of expired) {
        if ((await writer.dropEdge(EDGES_KEY, filtersKey(edge), CHANGES_KEY, APPLIED_KEY, edge, Date.now(), MAX_CHANGES)) === 1) {
          await deleteInboxUnlessRegistered(edge);
          logger.warn({ edge }, 'an edge missed its lease: its routes and inbox are dropped');
        }
      }
    })().catch((error: unknown) => logger.debug({ err: error }, 'route lease renewal failed'));
  }, RENEW_MS);
  renew.unref();

  const addRoute = async (filter: string) => {
    const [, [, change]] = (await writer
      .multi()
      .sadd(filtersKey(id), filter)
      .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'add', 'edge', id, 'filter', filter)
      .exec()) as [unknown, [unknown, string]];
    await appliedEverywhere(change);
  };

  // --- waiting until every live edge has applied a change ---------------------------------------

  const waiters: Array<{ change: string; since: number; deadline: number; resolve: () => void }> = [];
  let polling = false;
  let following: { at: number; edges: Set<string> | undefined } = { at: 0, edges: undefined };
  const appliedEverywhere = (change: string) =>
    new Promise<void>((resolve) => {
      waiters.push({ change, since: Date.now(), deadline: Date.now() + ROUTE_WAIT_MS, resolve });
      if (!polling) void poll();
    });
  /** The peers to wait for: lease renewed lately, and (once a wait is long) a feed connection open. */
  const peersToWaitFor = async () => {
    const peers = (await writer.zrangebyscore(EDGES_KEY, Date.now() + LEASE_MS - FOLLOWING_MS, '+inf')).filter((edge) => edge !== id);
    if (peers.length === 0 || !waiters.some((waiter) => Date.now() - waiter.since >= FEED_CHECK_MS)) return peers;
    if (Date.now() - following.at >= FEED_CHECK_MS) following = { at: Date.now(), edges: await edgesFollowingTheFeed(writer) };
    const edges = following.edges;
    return edges ? peers.filter((peer) => edges.has(peer)) : peers;
  };
  const poll = async () => {
    polling = true;
    while (waiters.length > 0 && !closed) {
      try {
        const peers = await peersToWaitFor();
        const applied = peers.length > 0 ? await writer.hmget(APPLIED_KEY, ...peers) : [];
        // The change the slowest peer has applied; a peer that has not reported yet holds everyone.
        const slowest = applied.includes(null)
          ? undefined
          : (applied as string[]).reduce((min, value) => (compareIds(value, min) < 0 ? value : min), 'max');
        const now = Date.now();
        for (let index = waiters.length - 1; index >= 0; index--) {
          const waiter = waiters[index]!;
          const done = slowest !== undefined && compareIds(slowest, waiter.change) >= 0;
          if (!done && now < waiter.deadline) continue;
          if (!done)
            logger.warn(
              { change: waiter.change },
              'an edge did not apply a new route within 3 s; it is not following the route feed and broadcasts meanwhile',
            );
          waiters.splice(index, 1);
          waiter.resolve();
        }
      } catch (error) {
        logger.debug({ err: error }, 'route wait poll failed');
      }
      if (waiters.length > 0) await new Promise((resolve) => setTimeout(resolve, ROUTE_POLL_MS));
    }
    polling = false;
  };

  // --- the replica: snapshot, then the change feed ----------------------------------------------

  const rebuild = async () => {
    current = false;
    const [head] = (await feed.xrevrange(CHANGES_KEY, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    // Every registered edge, its lease current or not: one whose lease ran out stays until a peer
    // drops it (a change this replica then applies), and may renew it first, which no change tells.
    const edges = (await feed.zrange(EDGES_KEY, '0', '-1')).filter((edge) => edge !== id);
    const sets = await Promise.all(edges.map((edge) => feed.smembers(filtersKey(edge))));
    table.clear();
    edges.forEach((edge, index) => table.replaceEdge(edge, sets[index]!));
    // This edge's own groups: a message published here may go to a member here.
    for (const filter of held.keys()) if (isSharedKey(filter)) table.add(id, filter);
    lastChange = head?.[0] ?? '0-0';
    rebuilds.inc();
    routeEntries.set(table.size);
  };
  const apply = async (change: RouteChange) => {
    if (change.edge === id) return;
    if (change.op === 'add') table.add(change.edge, change.filter);
    else if (change.op === 'remove') table.remove(change.edge, change.filter);
    else if (change.op === 'drop') {
      table.dropEdge(change.edge);
      // Peers that had not applied the drop yet may have recreated the inbox meanwhile.
      setTimeout(() => void deleteInboxUnlessRegistered(change.edge).catch(() => undefined), ORPHAN_INBOX_MS).unref();
    } else table.replaceEdge(change.edge, await feed.smembers(filtersKey(change.edge)));
  };
  feed.on('close', () => {
    current = false;
  });
  const follow = async () => {
    let rebuilt = false;
    while (!closed) {
      try {
        if (!rebuilt) {
          await rebuild();
          rebuilt = true;
          await feed.hset(APPLIED_KEY, id, lastChange);
          current = feed.status === 'ready';
        }
        const reply = (await feed.xread('COUNT', 1000, 'BLOCK', BLOCK_MS, 'STREAMS', CHANGES_KEY, lastChange)) as StreamReply;
        if (closed) return;
        // A connection lost meanwhile may have missed changes that were trimmed: rebuild.
        if (!current) {
          rebuilt = false;
          continue;
        }
        if (!reply) continue;
        for (const [changeId, fields] of reply[0]![1]) {
          await apply(changeOf(fields));
          lastChange = changeId;
        }
        routeEntries.set(table.size);
        await feed.hset(APPLIED_KEY, id, lastChange);
      } catch (error) {
        if (closed) return;
        rebuilt = false;
        logger.warn({ err: error }, 'route feed: read failed; rebuilding the replica');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };
  void follow();

  // --- the inbox ----------------------------------------------------------------------------------

  // On a Redis Cluster, a master that fails may take with it inbox entries it had acknowledged to a
  // sender but not yet passed to the replica that takes over: the same loss as a lost inbox.
  let nodeLossReportedAt = 0;
  inbox.on('-node', () => {
    // Before the first registration this is the cluster client replacing its seed nodes.
    if (!everRegistered || Date.now() - nodeLossReportedAt < 1000) return;
    nodeLossReportedAt = Date.now();
    logger.warn('a Redis Cluster node left: persistent sessions collect what they may have missed');
    reconnectListeners.forEach((listener) => listener());
  });

  const readInbox = async () => {
    // Everything from the start of this edge's inbox: it was created by this edge's registration.
    let last = '0-0';
    while (!closed) {
      try {
        const reply = (await inbox.xreadBuffer(
          'COUNT',
          500,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          inboxKey(id),
          last,
        )) as unknown as BufferStreamReply;
        if (closed || !reply) continue;
        for (const [entryId, fields] of reply[0]![1]) {
          last = entryId.toString();
          // An entry carries the messages one sender had for this edge in one event-loop turn.
          for (let index = 0; index + 1 < fields.length; index += 2) {
            const field = fields[index]!.toString();
            if (field !== 'm' && field[0] !== 's' && field[0] !== 'S') continue;
            let message: Message;
            try {
              message = unpack(fields[index + 1]!) as Message;
            } catch (error) {
              logger.warn({ err: error }, 'undecodable message in the inbox; ignored');
              continue;
            }
            if (field === 'm') local.emit(message);
            else deliverShared(field.slice(1), message, field[0] === 'S');
          }
        }
      } catch (error) {
        if (closed) return;
        logger.debug({ err: error }, 'inbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };
  void readInbox();

  // --- sending ------------------------------------------------------------------------------------

  /** Where a message goes while the replica is not current: every registered edge. */
  const registeredPeers = async (): Promise<string[]> => {
    if (Date.now() - registeredEdges.at > RENEW_MS)
      registeredEdges = { at: Date.now(), edges: (await writer.zrange(EDGES_KEY, '0', '-1')).filter((edge) => edge !== id) };
    return registeredEdges.edges;
  };
  const routeSends = sends.labels('route');
  const broadcastSends = sends.labels('broadcast');
  const batches = new InboxBatches((edge, entry) =>
    timed('redis', 'xadd', () => writer.xadd(inboxKey(edge), 'MAXLEN', '~', MAX_INBOX, '*', ...entry)),
  );
  /**
   * Queues the message for each target's inbox (encoded once, only if there is a target), and for
   * one edge of each shared-subscription group it reaches; `done` once all have it.
   */
  const send = (message: Message, edges: Iterable<string>, counter: typeof routeSends, done?: (error?: Error) => void) => {
    let data: Buffer | undefined;
    let pending = 0;
    let failed: Error | undefined;
    const appended = (error?: Error) => {
      failed ??= error;
      if (--pending === 0) done?.(failed);
    };
    for (const edge of edges) {
      if (edge === id) continue;
      data ??= pack(message);
      counter.inc();
      pending++;
      batches.add(edge, data, appended);
    }
    for (const key of table.sharedGroupsFor(message.topic) ?? []) {
      const target = sharedTarget(key, message);
      if (!target) continue;
      data ??= pack(message);
      pending++;
      batches.add(target.edge, data, appended, target.field);
    }
    if (pending === 0) done?.();
  };

  // --- shared subscriptions -----------------------------------------------------------------------

  let sharedDelivery: SharedDelivery | undefined;
  /**
   * The next edge in turn with a member of group `key`: this one delivers at once (undefined
   * returned), another gets it in its inbox; a group without a reachable member drops it.
   */
  const sharedTarget = (key: string, message: Message): { edge: string; field: string } | undefined => {
    const edge = table.nextEdgeOf(key, (candidate) => candidate !== id || sharedDelivery !== undefined);
    if (edge === id && sharedDelivery!.deliver(key, message)) return undefined;
    // Here had no member after all (the last one left this instant): another edge with one, which
    // must not send it on again.
    const other = edge !== undefined && edge !== id ? edge : table.nextEdgeOf(key, (candidate) => candidate !== id);
    if (other === undefined) {
      sharedMessagesUndeliverable.inc();
      return undefined;
    }
    return { edge: other, field: `${edge === id ? 'S' : 's'}${key}` };
  };
  /** A shared message from the inbox; one this edge has no member for goes on once to another edge. */
  const deliverShared = (key: string, message: Message, forwarded: boolean) => {
    if (sharedDelivery?.deliver(key, message)) return;
    if (forwarded) {
      sharedMessagesUndeliverable.inc();
      return;
    }
    const other = table.nextEdgeOf(key, (candidate) => candidate !== id);
    if (other === undefined) sharedMessagesUndeliverable.inc();
    else batches.add(other, pack(message), noop, `S${key}`);
  };
  const shared: SharedRouting = {
    deliverThrough: (delivery) => {
      sharedDelivery = delivery;
    },
    redispatch: (key, message) => {
      const target = sharedTarget(key, message);
      if (target) batches.add(target.edge, pack(message), noop, target.field);
    },
  };

  const emitter = {
    on(filter: string, listener: (message: Message, done: () => void) => void, done?: (error?: Error) => void) {
      // A shared group's key matches no topic: its messages come through `sharedTarget`.
      const sharedGroup = isSharedKey(filter);
      if (!sharedGroup) local.on(filter, listener);
      const count = held.get(filter) ?? 0;
      held.set(filter, count + 1);
      let registration = registering.get(filter);
      if (count === 0) {
        if (sharedGroup) table.add(id, filter);
        registration = addRoute(filter).finally(() => registering.delete(filter));
        registering.set(filter, registration);
      }
      if (!registration) done?.();
      else
        registration.then(
          () => done?.(),
          (error: Error) => done?.(error),
        );
      return emitter;
    },
    removeListener(filter: string, listener: (message: Message, done: () => void) => void, done?: () => void) {
      const sharedGroup = isSharedKey(filter);
      if (!sharedGroup) local.removeListener(filter, listener);
      const count = (held.get(filter) ?? 1) - 1;
      if (count > 0) {
        held.set(filter, count);
        done?.();
        return emitter;
      }
      held.delete(filter);
      if (sharedGroup) table.remove(id, filter);
      writer
        .multi()
        .srem(filtersKey(id), filter)
        .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'remove', 'edge', id, 'filter', filter)
        .exec()
        .then(
          () => done?.(),
          () => done?.(),
        );
      return emitter;
    },
    emit(message: Message, done?: (error?: Error) => void) {
      if (closed) return done?.(new Error('the Redis bus is closed'));
      // Local subscribers need no Redis; a crash takes their connections along, so no need to wait.
      local.emit(message);
      if (current) return send(message, table.edgesFor(message.topic), routeSends, done);
      registeredPeers().then(
        (edges) => send(message, edges, broadcastSends, done),
        (error: Error) => done?.(error),
      );
    },
    close(callback: () => void) {
      closed = true;
      batches.flush();
      clearInterval(renew);
      waiters.splice(0).forEach((waiter) => waiter.resolve());
      local.close(() => {
        // Leave the cluster at once instead of after the lease: peers stop sending here.
        const leaving =
          writer.status === 'ready'
            ? Promise.all([
                writer
                  .multi()
                  .zrem(EDGES_KEY, id)
                  .del(filtersKey(id))
                  .hdel(APPLIED_KEY, id)
                  .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'drop', 'edge', id)
                  .exec(),
                writer.del(inboxKey(id)),
              ])
            : Promise.resolve();
        void leaving
          .catch(() => undefined)
          .finally(() => {
            for (const connection of [writer, feed, inbox]) connection.disconnect();
            callback();
          });
      });
    },
  };

  return {
    emitter: emitter as unknown as MQEmitter,
    id,
    onReconnect: (listener) => reconnectListeners.push(listener),
    ready: () => [writer, feed, inbox].every((connection) => connection.status === 'ready'),
    shared,
    close: () => new Promise<void>((resolve) => emitter.close(resolve)),
  };
}

function noop(): void {}

/**
 * The edges with a route-feed connection open on any Redis master, from CLIENT LIST; undefined when
 * Redis will not say (a managed Redis may refuse CLIENT), and then every peer is waited for.
 */
async function edgesFollowingTheFeed(redis: Redis): Promise<Set<string> | undefined> {
  const cluster = redis as unknown as { nodes?: (role: 'master') => Redis[] };
  const nodes = typeof cluster.nodes === 'function' ? cluster.nodes('master') : [redis];
  try {
    const lists = await Promise.all(nodes.map((node) => node.client('LIST') as Promise<string>));
    const name = new RegExp(`\\bname=iotcore:${FEED_CONNECTION}(\\S+)`, 'g');
    return new Set(lists.flatMap((list) => [...list.matchAll(name)].map((match) => match[1]!)));
  } catch {
    return undefined;
  }
}

function changeOf(fields: string[]): RouteChange {
  const field = (name: string) => {
    for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index] === name) return fields[index + 1]!;
    return '';
  };
  const op = field('op');
  const edge = field('edge');
  if (op === 'add' || op === 'remove') return { op, edge, filter: field('filter') };
  return { op: op === 'drop' ? 'drop' : 'reset', edge };
}

/** Orders Redis stream IDs (`<ms>-<seq>`); 'max' is above all of them. */
export function compareIds(a: string, b: string): number {
  if (a === 'max' || b === 'max') return a === b ? 0 : a === 'max' ? 1 : -1;
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
