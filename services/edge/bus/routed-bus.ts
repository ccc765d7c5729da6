// The cluster bus: aedes' message emitter over Redis, routed by a cluster-wide route table instead
// of broadcast. Each edge registers the filters its clients hold; every edge keeps a replica of
// the table (route-table.ts; its own routes it keeps itself) and sends a message only to the edges
// that have a matching subscriber, into each one's inbox — a Redis stream it reads with XREAD BLOCK
// from the last ID it saw (inbox-reader.ts), so a dropped connection loses nothing. Local
// subscribers get the message without Redis.
//
// Keys (route-keys.ts):
//   {iotcore:routes}:edges       sorted set: edge ID → lease end (ms); an edge renews it twice a second
//   {iotcore:routes}:of:<edge>   set: the filters the edge's clients hold (the snapshot)
//   {iotcore:routes}:changes     stream: add / remove / reset / drop, in order (the change feed)
//   {iotcore:routes}:applied     hash: edge ID → the last change it applied (for the SUBACK wait)
//   {iotcore:inbox:<edge>}       stream: messages for the edge, entries of one field `b` holding records
//                                (inbox-codec.ts) tagged `m` for its subscribers, `s<key>` for one
//                                member of the shared-subscription group `key` there (`S<key>`:
//                                forwarded once already, dropped if that edge has none either)
//
// Consistency: a SUBSCRIBE's callback (and so its SUBACK) waits until every live edge has applied
// the route (route-wait.ts). An edge whose replica may be stale (route-replica.ts: feed connection
// lost, not yet rebuilt) sends every message to every registered edge instead: more traffic, never
// a miss. An edge whose lease ran out is dropped by the first peer to notice: its routes and inbox
// go; if it was alive after all, it registers again and reports the loss.
//
// Shared subscriptions: a group's key (`$share/<group>/<filter>`) is a route like any filter; the
// edge that publishes sends each message reaching a group to one edge holding members of it, in
// turn (its own included), and that edge picks the member (round-robin over edges, then over each
// edge's members): cluster-shared-routing.ts.
import { randomUUID } from 'node:crypto';
import { openRedis, throttledErrorLog } from '../../common/redis.js';
import type { MQEmitter, Message } from 'mqemitter';
import { Counter } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import { timed } from '../../common/dependency-metrics.js';
import { Tally } from '../metrics.js';
import { InboxBatches } from './inbox-batches.js';
import { encodeMessage } from './inbox-codec.js';
import { readInbox } from './inbox-reader.js';
import { ClusterSharedRouting } from './cluster-shared-routing.js';
import { LossRecovery } from './loss-recovery.js';
import {
  APPLIED_KEY,
  CHANGES_KEY,
  DROP_SCRIPT,
  EDGES_KEY,
  FEED_CONNECTION,
  filtersKey,
  inboxKey,
  LEASE_MS,
  MAX_CHANGES,
  type Connection,
} from './route-keys.js';
import { RouteReplica } from './route-replica.js';
import { RouteWait } from './route-wait.js';
import { isSharedKey } from '../topics/shared-filter.js';
import type { SharedRouting } from './shared-routing.js';

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

const RENEW_MS = 500;
/** Inbox entries kept for a reader that is behind (each holds up to 100 messages: inbox-batches.ts). */
const MAX_INBOX = 100_000;
/** After this, every edge has applied an edge's drop and nothing writes to its inbox any more. */
const ORPHAN_INBOX_MS = 10_000;
/** Node losses after a recovery are answered by one more once this long has passed without any. */
const NODE_LOSS_QUIET_MS = 2000;

/** Messages sent to another edge's inbox, by how the target was chosen; counted per message. */
const routeSends = new Tally();
const broadcastSends = new Tally();
new Counter({
  name: 'iotcore_bus_sends_total',
  help: "messages sent to another edge's inbox, by how the target was chosen (route: the route table; broadcast: replica not current)",
  labelNames: ['mode'],
  collect() {
    this.inc({ mode: 'route' }, routeSends.take());
    this.inc({ mode: 'broadcast' }, broadcastSends.take());
  },
});

/** `local`: the edge's in-process bus, which delivers to this edge's subscribers. */
export function routedBus(url: string, logger: Logger, local: MQEmitter): ClusterBus {
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
  /** Filters this edge's clients hold → how many; the first and last change the table. */
  const held = new Map<string, number>();
  /** Route registrations under way, so a second subscriber to a filter waits for the first. */
  const registering = new Map<string, Promise<void>>();
  const reconnectListeners: Array<() => void> = [];
  let closed = false;
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
    await routeWait.appliedEverywhere(change);
  };
  const routeWait = new RouteWait(writer, id, logger);

  // --- the replica ----------------------------------------------------------------------------

  const replica = new RouteReplica(
    feed,
    id,
    () => held.keys(),
    // Peers that had not applied the drop yet may have recreated the inbox meanwhile.
    (edge) => setTimeout(() => void deleteInboxUnlessRegistered(edge).catch(() => undefined), ORPHAN_INBOX_MS).unref(),
    logger,
  );
  const table = replica.table;

  // --- sending ------------------------------------------------------------------------------------

  /** Where a message goes while the replica is not current: every registered edge. */
  const registeredPeers = async (): Promise<string[]> => {
    if (Date.now() - registeredEdges.at > RENEW_MS)
      registeredEdges = { at: Date.now(), edges: (await writer.zrange(EDGES_KEY, '0', '-1')).filter((edge) => edge !== id) };
    return registeredEdges.edges;
  };
  const batches = new InboxBatches((edge, entry) =>
    timed('redis', 'xadd', () => writer.xadd(inboxKey(edge), 'MAXLEN', '~', MAX_INBOX, '*', 'b', entry)),
  );
  const shared = new ClusterSharedRouting(table, id, batches);
  /**
   * Queues the message for each target's inbox (encoded once, only if there is a target), and for
   * one edge of each shared-subscription group it reaches; `done` once all have it.
   */
  const send = (message: Message, edges: Iterable<string>, counter: Tally, done?: (error?: Error) => void) => {
    let data: Buffer | undefined;
    let pending = 0;
    let failed: Error | undefined;
    const appended = (error?: Error) => {
      failed ??= error;
      if (--pending === 0) done?.(failed);
    };
    for (const edge of edges) {
      if (edge === id) continue;
      data ??= encodeMessage(message);
      counter.inc();
      pending++;
      batches.add(edge, data, appended);
    }
    for (const key of table.sharedGroupsFor(message.topic) ?? []) {
      const target = shared.target(key, message);
      if (!target) continue;
      data ??= encodeMessage(message);
      pending++;
      batches.add(target.edge, data, appended, target.field);
    }
    if (pending === 0) done?.();
  };

  // --- the inbox ----------------------------------------------------------------------------------

  // On a Redis Cluster, a master that fails may take with it inbox entries it had acknowledged to a
  // sender but not yet passed to the replica that takes over: the same loss as a lost inbox.
  const nodeLoss = new LossRecovery(async () => {
    if (closed) return;
    logger.warn('a Redis Cluster node left: persistent sessions collect what they may have missed');
    reconnectListeners.forEach((listener) => listener());
  }, NODE_LOSS_QUIET_MS);
  inbox.on('-node', () => {
    // Before the first registration this is the cluster client replacing its seed nodes.
    if (everRegistered) nodeLoss.signal();
  });
  void readInbox(
    inbox,
    inboxKey(id),
    {
      subscribers: (message) => local.emit(message),
      sharedGroup: (key, message, forwarded) => shared.fromInbox(key, message, forwarded),
    },
    logger,
    () => closed,
  );

  const emitter = {
    on(filter: string, listener: (message: Message, done: () => void) => void, done?: (error?: Error) => void) {
      // A shared group's key matches no topic: its messages come through `shared.target`.
      if (!isSharedKey(filter)) local.on(filter, listener);
      const count = held.get(filter) ?? 0;
      held.set(filter, count + 1);
      let registration = registering.get(filter);
      if (count === 0) {
        table.add(id, filter);
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
      if (!isSharedKey(filter)) local.removeListener(filter, listener);
      const count = (held.get(filter) ?? 1) - 1;
      if (count > 0) {
        held.set(filter, count);
        done?.();
        return emitter;
      }
      held.delete(filter);
      table.remove(id, filter);
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
      if (replica.current) {
        // The table holds this edge's own routes too, always current: a message nobody here wants
        // skips the local emitter.
        const edges = table.edgesFor(message.topic);
        if (edges.has(id)) local.emit(message);
        return send(message, edges, routeSends, done);
      }
      local.emit(message);
      registeredPeers().then(
        (edges) => send(message, edges, broadcastSends, done),
        (error: Error) => done?.(error),
      );
    },
    close(callback: () => void) {
      closed = true;
      batches.flush();
      clearInterval(renew);
      routeWait.close();
      replica.close();
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
