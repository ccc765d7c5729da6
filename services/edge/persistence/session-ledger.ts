// Where each persistent session (CleanSession=0) stands: held by a connection on some edge, or
// offline since a time. Offline sessions that never come back are removed after
// --session-expiry-seconds (session-expiry.ts), and CONNACK's Session Present says whether the
// client's entry existed. Kept next to the MQTT state: under "iotcore-offline:<client ID>" in
// LevelDB (below), in MongoDB shared by every edge (mongo-session-ledger.ts), so that any edge may
// remove a session another one held.
//
// Each edge names itself by a holder ID of its own, new at every start, and keeps a lease on it
// (session-holding.ts). An edge that dies without recording its sessions offline (killed, out of
// memory, its machine gone) stops renewing: its sessions count as offline from when another edge
// finds its lease run out, and expire from there like any other.
import { randomUUID } from 'node:crypto';
import type { ClassicLevel } from 'classic-level';

export interface SessionLedger {
  /**
   * Connection number `connection` of this edge now holds the client's session; true when the
   * session existed (offline, or held anywhere).
   */
  held(clientId: string, connection: number): Promise<boolean>;
  /** A clean CONNECT of the client ended any session it had. */
  ended(clientId: string): Promise<void>;
  /**
   * Connection `connection` of this edge closed: the session is offline from `at`, unless another
   * connection holds it by now, here or on another edge (its CONNECT may be recorded before the
   * old connection's close).
   */
  offline(clientId: string, connection: number, at: Date): Promise<void>;
  /** Sessions offline since before `before`, at most `limit`. */
  offlineSince(before: Date, limit: number): Promise<string[]>;
  /**
   * Takes the right to expire one session found by offlineSince, so that of several edges sweeping
   * the shared ledger exactly one removes it. False when another edge holds the claim or the session
   * came back meanwhile. A claim lapses after `holdMs`, so a sweeper that dies mid-way is taken over.
   */
  claim(clientId: string, before: Date, holdMs: number): Promise<boolean>;
  /** Removes the session's queued messages and its ledger entry (subscriptions go through aedes). */
  purge(clientId: string): Promise<void>;
  /**
   * Extends this edge's lease to `leaseMs` from now. True when it had run out since the last
   * renewal: other edges may have counted this edge's sessions offline, so those still connected
   * here are to be reclaimed.
   */
  renew(leaseMs: number): Promise<boolean>;
  /** Sessions held by other edges whose lease ran out become offline from `at`, at most `limit`; how many did. */
  releaseLapsed(at: Date, limit: number): Promise<number>;
  /** A session connected here that was counted offline meanwhile is held by `connection` again, unless another edge holds it. */
  reclaim(clientId: string, connection: number): Promise<void>;
}

const OFFLINE = 'iotcore-offline:';
const END = 'iotcore-offline;';
/** A held session's value: "@", its holder and connection; an offline one's is the time in milliseconds. */
const HELD = '@';

/**
 * The ledger of the all-in-one edge. One process owns a LevelDB store, so a lease never runs out:
 * every session held by another holder was held before the process restarted, and no connection
 * holds it now. Its changes are made one after another, so that each reads what the one before wrote.
 * For the same reason the client IDs with an entry are the keys on disk (read once, at first use)
 * and this process's own writes: kept in memory, they tell whether a session existed without a
 * read, so a clean CONNECT (most of a reconnect storm) costs the store nothing.
 */
export function levelSessionLedger(db: ClassicLevel<string, Buffer>): SessionLedger {
  const holder = `${HELD}${randomUUID()}:`;
  const heldBy = (connection: number) => `${holder}${connection}`;
  let listed: Promise<Set<string>> | undefined;
  const listEntries = async () => {
    const ids = new Set<string>();
    for await (const key of db.keys({ gte: OFFLINE, lt: END })) ids.add(key.slice(OFFLINE.length));
    return ids;
  };
  /** The client IDs with an entry, read from the store at first use (again at the next, if that read failed). */
  const entries = () =>
    (listed ??= listEntries().catch((error: unknown) => {
      listed = undefined;
      throw error;
    }));
  const read = async (clientId: string) => (await db.get(`${OFFLINE}${clientId}`))?.toString();
  // The store first, then memory (as in remove): a failed write leaves no entry behind in memory.
  const write = async (clientId: string, value: string) => {
    const ids = await entries();
    await db.put(`${OFFLINE}${clientId}`, Buffer.from(value));
    ids.add(clientId);
  };
  const remove = async (clientId: string) => {
    await db.del(`${OFFLINE}${clientId}`);
    (await entries()).delete(clientId);
  };
  const offlineSince = (value: string | undefined, before: Date) =>
    value !== undefined && !value.startsWith(HELD) && Number(value) < before.getTime();
  const heldBeforeStart = (value: string | undefined) => value?.startsWith(HELD) === true && !value.startsWith(holder);
  let recovered = false;
  let last: Promise<unknown> = Promise.resolve();
  const serially = <T>(change: () => Promise<T>): Promise<T> => {
    const next = last.then(change, change);
    last = next.catch(() => undefined);
    return next;
  };
  return {
    held: (clientId, connection) =>
      serially(async () => {
        const existed = (await entries()).has(clientId);
        await write(clientId, heldBy(connection));
        return existed;
      }),
    ended: (clientId) =>
      serially(async () => {
        if ((await entries()).has(clientId)) await remove(clientId);
      }),
    offline: (clientId, connection, at) =>
      serially(async () => {
        const value = await read(clientId);
        if (value?.startsWith(HELD) && value !== heldBy(connection)) return;
        await write(clientId, String(at.getTime()));
      }),
    async offlineSince(before, limit) {
      const expired: string[] = [];
      for await (const [key, value] of db.iterator({ gte: OFFLINE, lt: END })) {
        if (offlineSince(value.toString(), before)) expired.push(key.slice(OFFLINE.length));
        if (expired.length >= limit) break;
      }
      return expired;
    },
    // The entry still being there and old enough is the claim.
    claim: async (clientId, before) => offlineSince(await read(clientId), before),
    purge: (clientId) =>
      serially(async () => {
        // aedes-persistence-level's keys of a session's queue (its outgoingKey/outgoingByIdKey).
        const id = encodeURIComponent(clientId);
        await db.clear({ gte: `outgoing:${id}:`, lt: `outgoing:${id};` });
        await db.clear({ gte: `outgoing-id:${id}:`, lt: `outgoing-id:${id};` });
        await remove(clientId);
      }),
    renew: async () => false,
    // Every entry of an earlier holder dates from before this process started, so once a scan has
    // found fewer than `limit` there are none left to find. Each is changed only if still as read.
    async releaseLapsed(at, limit) {
      if (recovered) return 0;
      const lapsed: string[] = [];
      for await (const [key, value] of db.iterator({ gte: OFFLINE, lt: END })) {
        if (heldBeforeStart(value.toString())) lapsed.push(key.slice(OFFLINE.length));
        if (lapsed.length >= limit) break;
      }
      let released = 0;
      for (const clientId of lapsed)
        await serially(async () => {
          if (!heldBeforeStart(await read(clientId))) return;
          await write(clientId, String(at.getTime()));
          released++;
        });
      recovered = lapsed.length < limit;
      return released;
    },
    reclaim: (clientId, connection) =>
      serially(async () => {
        const value = await read(clientId);
        if (value !== undefined && !value.startsWith(HELD)) await write(clientId, heldBy(connection));
      }),
  };
}
