// The default cluster bus (`--cluster-bus channels`): aedes' message emitter over Redis pub/sub, with one Redis channel per registry
// (`$iot/<registry>`), per broker (`$broker/<broker>`) and one for aedes' `$SYS` traffic, instead
// of one per MQTT filter. mqemitter-redis subscribes Redis to every distinct filter, and each
// wildcard filter becomes a PSUBSCRIBE pattern that Redis matches against every PUBLISH (10,000
// patterns made Redis publish ~50× slower, docs/field-notes.md). Here an edge SUBSCRIBEs (exact, counted
// per channel) to the registries its local clients listen in, and matches MQTT filters itself with
// mqemitter's trie, so Redis' work grows with registries × edges, never with subscriptions.
//
// Connections are ioredis 6: 5.8.2–5.11.1 drop subscriptions made while a connection is still
// starting (redis/ioredis#2037), which silently broke cross-node takeover after a Redis restart.
// While Redis is away, publishes wait in ioredis' queue (PUBACK waits with them); errors are logged
// and reflected in `ready()`, never fatal.
import { openRedis, throttledErrorLog } from '../../common/redis.js';
import type { MQEmitter, Message } from 'mqemitter';
import { pack, unpack } from 'msgpackr';
import type { Logger } from '../../common/logging.js';
import { timed } from '../../common/dependency-metrics.js';
import { BROKER_ROOT, INTERNAL_ROOT } from '../topics/namespace.js';
import { LossRecovery } from './loss-recovery.js';

export interface RedisBus {
  emitter: MQEmitter;
  /**
   * Called when the subscriber connection is back after a loss. Redis pub/sub is at-most-once:
   * whatever was published meanwhile never reached this edge's clients.
   */
  onReconnect(listener: () => void): void;
  /** Both connections are up. */
  ready(): boolean;
  close(): Promise<void>;
}

const CHANNEL_PREFIX = 'iotcore:';
/** How long a recovery waits for the channels to be subscribed again before sessions resume. */
const RESUBSCRIBE_WAIT_MS = 2000;
/** Signals of loss after a recovery are answered by one more once this long has passed without any. */
const RECOVERY_QUIET_MS = 2000;

/** The Redis channel that carries a topic, or the messages a filter can match. */
export function channelOf(topicOrFilter: string): string {
  const [root, namespace] = topicOrFilter.split('/', 2);
  if (root === '$SYS') return `${CHANNEL_PREFIX}$SYS`;
  if ((root === INTERNAL_ROOT || root === BROKER_ROOT) && namespace && !/[+#]/.test(namespace))
    return `${CHANNEL_PREFIX}${root}/${namespace}`;
  // The ACL only ever produces filters inside one registry or broker namespace.
  throw new Error(`no bus channel for "${topicOrFilter}"`);
}

/** `local`: the edge's in-process bus, which delivers to this edge's subscribers. */
export function redisBus(url: string, logger: Logger, local: MQEmitter): RedisBus {
  const options = { maxRetriesPerRequest: null };
  const subConn = openRedis(url, options);
  const pubConn = openRedis(url, options);
  const channels = new Map<string, number>();
  let closed = false;

  subConn.on('messageBuffer', (_channel: Buffer, data: Buffer) => {
    let message: Message;
    try {
      message = unpack(data) as Message;
    } catch (error) {
      logger.warn({ err: error }, 'undecodable message on the Redis bus; ignored');
      return;
    }
    local.emit(message);
  });

  const logErrors = throttledErrorLog(logger, 'Redis bus error');
  const reconnectListeners: Array<() => void> = [];
  let subscriberWasReady = false;
  let lossReason = '';
  const recovery = new LossRecovery(async () => {
    if (closed) return;
    if (lossReason) logger.warn(`${lossReason}; persistent sessions collect what they may have missed`);
    lossReason = '';
    // The cluster client moves its subscriber connection to another node on its own, but a
    // subscription made while it moved can miss the move: subscribe again (a no-op where it held),
    // and only then let persistent sessions resume, so nothing published after they resume is missed.
    // Bounded: a subscription stuck in a cluster that is still settling must not hold the recovery
    // (the next signal of the failover brings another one).
    const resubscribed = channels.size > 0 ? subConn.subscribe(...channels.keys()) : Promise.resolve();
    await Promise.race([resubscribed, new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_WAIT_MS))]).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not subscribe the bus channels again'),
    );
    reconnectListeners.forEach((listener) => listener());
  }, RECOVERY_QUIET_MS);
  const messagesMayBeLost = (why?: string) => {
    if (why) lossReason = why;
    recovery.signal();
  };
  subConn.on('ready', () => {
    if (subscriberWasReady) messagesMayBeLost();
    subscriberWasReady = true;
  });
  // On a Redis Cluster a node that leaves (a master that failed) may take with it messages it had
  // acknowledged to a publisher but not yet passed to the other nodes, or this edge's subscription:
  // the same loss as a dropped connection, though the cluster client as a whole stays ready.
  for (const connection of [subConn, pubConn]) {
    connection.on('-node', () => {
      // The first look at the cluster replaces the seed nodes: nothing was carried yet.
      if (!subscriberWasReady) return;
      messagesMayBeLost('a Redis Cluster node left the bus');
    });
  }
  for (const [name, connection] of [
    ['subscriber', subConn],
    ['publisher', pubConn],
  ] as const) {
    logErrors(connection, name);
    connection.on('ready', () => logger.info({ connection: name }, 'Redis bus connected'));
    connection.on('reconnecting', () => logger.warn({ connection: name }, 'Redis bus reconnecting'));
  }

  const emitter = {
    on(filter: string, listener: (message: Message, done: () => void) => void, done?: (error?: Error) => void) {
      let channel: string;
      try {
        channel = channelOf(filter);
      } catch (error) {
        done?.(error as Error);
        return emitter;
      }
      local.on(filter, listener);
      const count = channels.get(channel) ?? 0;
      channels.set(channel, count + 1);
      if (count > 0) done?.();
      else
        subConn.subscribe(channel).then(
          () => done?.(),
          (error: Error) => done?.(error),
        );
      return emitter;
    },
    removeListener(filter: string, listener: (message: Message, done: () => void) => void, done?: () => void) {
      local.removeListener(filter, listener);
      const channel = channelOf(filter);
      const count = (channels.get(channel) ?? 1) - 1;
      if (count > 0) {
        channels.set(channel, count);
        done?.();
      } else {
        channels.delete(channel);
        subConn.unsubscribe(channel).then(
          () => done?.(),
          () => done?.(),
        );
      }
      return emitter;
    },
    emit(message: Message, done?: (error?: Error) => void) {
      if (closed) return done?.(new Error('the Redis bus is closed'));
      let channel: string;
      try {
        channel = channelOf(message.topic);
      } catch (error) {
        return done?.(error as Error);
      }
      const data = pack(message);
      timed('redis', 'publish', () => pubConn.publish(channel, data)).then(
        () => done?.(),
        (error: Error) => done?.(error),
      );
    },
    close(done: () => void) {
      closed = true;
      local.close(() => {
        subConn.disconnect();
        pubConn.disconnect();
        done();
      });
    },
  };

  return {
    emitter: emitter as unknown as MQEmitter,
    onReconnect: (listener) => reconnectListeners.push(listener),
    ready: () => subConn.status === 'ready' && pubConn.status === 'ready',
    close: () => new Promise<void>((resolve) => emitter.close(resolve)),
  };
}
