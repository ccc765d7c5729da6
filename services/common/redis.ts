// Opening Redis, for every part of iotcore that uses it: one server (`redis://`, `rediss://`) or a
// Redis Cluster named by some of its nodes, `redis+cluster://[user:password@]host:port,host:port`
// (`rediss+cluster://` with TLS); ioredis finds the rest of the cluster and follows failovers.
// Every multi-key command and script of iotcore keeps its keys under one hash tag, so each runs on
// one shard of a cluster.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logging.js';

export type RedisClientOptions = RedisOptions & { enableAutoPipelining?: boolean };

/** How often a cluster client reads the cluster's layout (one CLUSTER SLOTS). */
const SLOTS_REFRESH_MS = 2000;

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/;

export function openRedis(url: string, options: RedisClientOptions = {}): Redis {
  const cluster = CLUSTER_URL.exec(url);
  if (!cluster) return new Redis(url, options);
  const [, scheme, credentials, hosts] = cluster;
  const nodes = hosts!.split(',').map((node) => {
    const parsed = new URL(`redis://${node}`);
    return { host: parsed.hostname, port: Number(parsed.port || 6379) };
  });
  const [username, password] = credentials ? credentials.split(':', 2).map(decodeURIComponent) : [];
  const { enableOfflineQueue, enableAutoPipelining, ...redisOptions } = options;
  const client = new Cluster(nodes, {
    enableOfflineQueue,
    enableAutoPipelining,
    // ioredis looks at the cluster's layout only when a command of this client fails, so a client
    // that never used a failed master (a bus subscriber whose connection moved to another node on
    // its own) would never hear that it left, nor recover what it lost meanwhile. Looked at regularly
    // instead, every client sees a failover end (the master leaves the layout) within this time.
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    redisOptions: { ...redisOptions, username: username || undefined, password, tls: scheme === 'rediss' ? {} : undefined },
  });
  // A Cluster answers the same commands as a Redis; ioredis only types them as different classes.
  return client as unknown as Redis;
}

/** Whether `url` names a Redis iotcore can open (for configuration errors at start-up). */
export function isRedisUrl(url: string): boolean {
  return CLUSTER_URL.test(url) || /^rediss?:\/\//.test(url);
}

/**
 * Logs the errors of a group of connections at most once a second between them: a Redis that is
 * away makes every connection error on every retry.
 */
export function throttledErrorLog(logger: Logger, message: string): (connection: Redis, name: string) => void {
  let lastError = 0;
  return (connection, name) =>
    connection.on('error', (error: Error) => {
      if (Date.now() - lastError > 1000) logger.warn({ err: error, connection: name }, message);
      lastError = Date.now();
    });
}
