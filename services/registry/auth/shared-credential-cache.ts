// Verified passwords remembered across restarts and registry replicas, so a fleet reconnecting
// after every process restarted (or after an import) does not pay one slow hash per device.
//
// What is stored is never the password nor a fast hash of it: the key is an HMAC of (entity,
// password) under a server-side secret (--credential-cache-secret), and the value only names the
// password record that matched. Someone holding the database or Redis but not the secret cannot
// test guesses offline (every guess needs the secret), and an entry planted without the secret is
// never looked up (the lookup key is the HMAC of the password presented). An entry is trusted only
// while the password record it names still exists for that entity; the slow salted hash stays the
// stored credential.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { openRedis } from '../../common/redis.js';

export interface SharedCredentialCache {
  /** The password ID remembered for this entity and MAC, if any. */
  get(entityId: string, mac: string): Promise<string | undefined>;
  set(entityId: string, mac: string, passwordId: string): Promise<void>;
  /** Drops every entry of an entity (deleted, or one of its passwords deleted). */
  forget(entityId: string): Promise<void>;
  close(): Promise<void>;
}

export function credentialMac(secret: Buffer, entityId: string, password: Buffer): string {
  return createHmac('sha256', secret).update(entityId).update('\0').update(password).digest('base64url');
}

/**
 * The all-in-one process: a LevelDB of its own under the data dir, mirrored in memory. The process
 * is its only writer, so the mirror is exact, and a fleet reconnecting after a restart is answered
 * without a LevelDB read per CONNECT (7% of the main thread in a restart storm's profile). The
 * mirror is keyed like the database, one flat map, loaded at start: about 160 bytes per remembered
 * (device, password) pair, and 0.4 s to load 100,000 of them.
 */
export async function levelCredentialCache(dataDir: string): Promise<SharedCredentialCache> {
  const db = new ClassicLevel<string, string>(path.join(dataDir, 'credential-cache'));
  await db.open();
  const prefix = (entityId: string) => `${encodeURIComponent(entityId)}:`;
  const keyOf = (entityId: string, mac: string) => `${prefix(entityId)}${mac}`;
  const entityRange = (entityId: string) => ({ gte: prefix(entityId), lt: `${encodeURIComponent(entityId)};` });
  /** LevelDB key ("<encoded entity>:<MAC>") → password ID */
  const mirror = new Map<string, string>();
  for await (const [key, passwordId] of db.iterator()) mirror.set(key, passwordId);
  return {
    get: async (entityId, mac) => mirror.get(keyOf(entityId, mac)),
    set: async (entityId, mac, passwordId) => {
      const key = keyOf(entityId, mac);
      mirror.set(key, passwordId);
      await db.put(key, passwordId);
    },
    forget: async (entityId) => {
      // An entity has a handful of entries; the database lists them, the mirror drops the same. A
      // set() still in flight may outlive this, as it could in the database alone: harmless, since
      // an entry counts only while the password record it names exists.
      for await (const key of db.keys(entityRange(entityId))) mirror.delete(key);
      await db.clear(entityRange(entityId));
    },
    close: () => db.close(),
  };
}

/**
 * A cluster: one hash per entity in the Redis every registry replica shares. A cache must never
 * hold up a CONNECT: while Redis is away commands fail at once (no offline queue) or after 250 ms,
 * and the slow hash decides.
 */
export async function redisCredentialCache(url: string): Promise<SharedCredentialCache> {
  const redis = openRedis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectionName: 'iotcore:credential-cache',
  });
  redis.on('error', () => undefined);
  // Connected before the first CONNECTs when Redis is there; without it, start anyway (hashes decide).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const key = (entityId: string) => `iotcore:credentials:{${entityId}}`;
  return {
    get: async (entityId, mac) => (await redis.hget(key(entityId), mac)) ?? undefined,
    set: async (entityId, mac, passwordId) => {
      await redis.hset(key(entityId), mac, passwordId);
    },
    forget: async (entityId) => {
      await redis.del(key(entityId));
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
