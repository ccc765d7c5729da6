// The cluster bus: aedes' message emitter over Redis, routed by a cluster-wide route table instead
// of broadcast. Each edge registers the filters its clients hold, under a lease it renews
// (edge-registration.ts); every edge keeps a replica of the table (route-table.ts; its own routes it
// keeps itself) and sends a message only to the edges that have a matching subscriber, into each
// one's inbox — a Redis stream it reads with XREAD BLOCK from the last ID it saw (inbox-reader.ts),
// so a dropped connection loses nothing. Local subscribers get the message without Redis.
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
import { DROP_SCRIPT, EDGES_KEY, FEED_CONNECTION, inboxKey, MAX_INBOX, RENEW_MS, type Connection } from './route-keys.js';
import { RouteReplica } from './route-replica.js';
import { EdgeRegistration } from './edge-registration.js';
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
  /**
   * Whether a message on `topic` could reach a subscriber on any edge; absent on a bus that cannot
   * tell (the channel bus), where every message has to be sent.
   */
  wants?(topic: string): boolean;
  close(): Promise<void>;
}

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
  const reconnectListeners: Array<() => void> = [];
  let closed = false;
  let registeredEdges: { at: number; edges: string[] } = { at: 0, edges: [] };
  const registration = new EdgeRegistration(writer, id, logger, () => reconnectListeners.forEach((listener) => listener()));

  // --- the replica ----------------------------------------------------------------------------

  const replica = new RouteReplica(
    feed,
    id,
    () => registration.filters(),
    // Peers that had not applied the drop yet may have recreated the inbox meanwhile.
    (edge) => setTimeout(() => void registration.deleteInboxUnlessRegistered(edge).catch(() => undefined), ORPHAN_INBOX_MS).unref(),
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
    if (registration.everRegistered) nodeLoss.signal();
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
      const registered = registration.hold(filter, () => table.add(id, filter));
      if (!registered) done?.();
      else
        registered.then(
          () => done?.(),
          (error: Error) => done?.(error),
        );
      return emitter;
    },
    removeListener(filter: string, listener: (message: Message, done: () => void) => void, done?: () => void) {
      if (!isSharedKey(filter)) local.removeListener(filter, listener);
      const deregistered = registration.release(filter, () => table.remove(id, filter));
      if (!deregistered) done?.();
      else
        deregistered.then(
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
      registration.close();
      replica.close();
      local.close(() => {
        void registration
          .leave()
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
    // While the replica is rebuilt nobody knows: every message is broadcast then.
    wants: (topic) => !replica.current || table.reaches(topic),
    close: () => new Promise<void>((resolve) => emitter.close(resolve)),
  };
}
