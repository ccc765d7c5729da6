// The cluster bus: aedes' message emitter over Redis pub/sub (mqemitter-redis), fed with ioredis 6
// connections. ioredis 5.8.2–5.11.1 drop subscriptions made while a connection is still starting
// (redis/ioredis#2037), which silently breaks cross-node takeover after a Redis restart; 6.0's
// handshake gate does not. Errors are logged and reflected in `ready()` instead of crashing the
// process (mqemitter-redis emits them on `state`, fatal without a listener).
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { MQEmitter } from 'mqemitter';
import type { Logger } from '../../common/logging.js';

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

export function redisBus(url: string, logger: Logger): RedisBus {
  const options = { maxRetriesPerRequest: null, lazyConnect: false };
  const subConn = new Redis(url, options);
  const pubConn = new Redis(url, options);
  // Typed against its own nested ioredis 5; the connections are ioredis 6 on purpose (see above).
  const emitter = mqemitterRedis({ subConn, pubConn } as never) as unknown as MQEmitter & { state: NodeJS.EventEmitter };
  let lastError = 0;
  emitter.state.on('error', (error: Error) => {
    // One line per second at most while Redis is away.
    if (Date.now() - lastError > 1000) logger.warn({ err: error }, 'Redis bus error');
    lastError = Date.now();
  });
  const reconnectListeners: Array<() => void> = [];
  let subscriberWasReady = false;
  subConn.on('ready', () => {
    if (subscriberWasReady) reconnectListeners.forEach((listener) => listener());
    subscriberWasReady = true;
  });
  for (const [name, connection] of [['subscriber', subConn], ['publisher', pubConn]] as const) {
    connection.on('error', () => undefined); // reported through emitter.state
    connection.on('ready', () => logger.info({ connection: name }, 'Redis bus connected'));
    connection.on('reconnecting', () => logger.warn({ connection: name }, 'Redis bus reconnecting'));
  }
  return {
    emitter,
    onReconnect: (listener) => reconnectListeners.push(listener),
    ready: () => subConn.status === 'ready' && pubConn.status === 'ready',
    close: () => new Promise<void>((resolve) => emitter.close(() => resolve())),
  };
}
