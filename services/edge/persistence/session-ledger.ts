// When each persistent session went offline, so that sessions which never come back can be removed
// (subscriptions and queued messages) after --session-expiry-seconds. Kept next to the MQTT state:
// under "iotcore-offline:<client ID>" in LevelDB, in the `mqtt_offline_sessions` collection in
// MongoDB (shared by every edge, so any edge may remove a session another one held).
import type { ClassicLevel } from 'classic-level';
import type { Collection, Db } from 'mongodb';

export interface SessionLedger {
  offline(clientId: string, at: Date): Promise<void>;
  /** Clears the session's offline entry (a CONNECT of the client); true when there was one. */
  online(clientId: string): Promise<boolean>;
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
}

const OFFLINE = 'iotcore-offline:';

export function levelSessionLedger(db: ClassicLevel<string, Buffer>): SessionLedger {
  return {
    offline: (clientId, at) => db.put(`${OFFLINE}${clientId}`, Buffer.from(String(at.getTime()))),
    async online(clientId) {
      const key = `${OFFLINE}${clientId}`;
      if ((await db.get(key)) === undefined) return false;
      await db.del(key);
      return true;
    },
    async offlineSince(before, limit) {
      const expired: string[] = [];
      for await (const [key, value] of db.iterator({ gte: OFFLINE, lt: 'iotcore-offline;' })) {
        if (Number(value.toString()) < before.getTime()) expired.push(key.slice(OFFLINE.length));
        if (expired.length >= limit) break;
      }
      return expired;
    },
    // One process owns a LevelDB store: the entry still being there and old enough is the claim.
    async claim(clientId, before) {
      const since = await db.get(`${OFFLINE}${clientId}`).catch(() => undefined);
      return since !== undefined && Number(since.toString()) < before.getTime();
    },
    async purge(clientId) {
      // aedes-persistence-level's keys of a session's queue (its outgoingKey/outgoingByIdKey).
      const id = encodeURIComponent(clientId);
      await db.clear({ gte: `outgoing:${id}:`, lt: `outgoing:${id};` });
      await db.clear({ gte: `outgoing-id:${id}:`, lt: `outgoing-id:${id};` });
      await db.del(`${OFFLINE}${clientId}`);
    },
  };
}

export async function mongoSessionLedger(db: Db, collectionPrefix: string): Promise<SessionLedger> {
  const ledger: Collection<{ _id: string; since: Date }> = db.collection(`${collectionPrefix}offline_sessions`);
  // One document per claimed session: its unique _id makes a claim atomic also on servers whose
  // conditional updates are not (FerretDB v1 reads, then writes: two edges both "won").
  const claims: Collection<{ _id: string; until: Date }> = db.collection(`${collectionPrefix}offline_session_claims`);
  const outgoing = db.collection(`${collectionPrefix}outgoing`);
  await ledger.createIndex({ since: 1 });
  const release = (clientId: string) => claims.deleteOne({ _id: clientId });
  const takeClaim = async (clientId: string, holdMs: number): Promise<boolean> => {
    const now = Date.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await claims.insertOne({ _id: clientId, until: new Date(now + holdMs) });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
        const held = await claims.findOne({ _id: clientId });
        if (held && held.until.getTime() >= now) return false;
        // A lapsed claim (its sweeper died): removed only as it was read, then claimed afresh.
        if (held) await claims.deleteOne({ _id: clientId, until: held.until });
      }
    }
    return false;
  };
  return {
    offline: async (clientId, at) => {
      await ledger.updateOne({ _id: clientId }, { $set: { since: at } }, { upsert: true });
      await release(clientId);
    },
    // A claim left behind is harmless: claim() first needs the ledger entry, and offline() clears it.
    online: async (clientId) => (await ledger.deleteOne({ _id: clientId })).deletedCount === 1,
    offlineSince: async (before, limit) =>
      (
        await ledger
          .find({ since: { $lt: before } })
          .limit(limit)
          .toArray()
      ).map((entry) => entry._id),
    claim: async (clientId, before, holdMs) => {
      if (!(await takeClaim(clientId, holdMs))) return false;
      // Checked under the claim, not before it: an edge that has just removed the session deleted
      // its entry before releasing its claim, so a claim taken after that release finds no entry.
      if (await ledger.findOne({ _id: clientId, since: { $lt: before } })) return true;
      await release(clientId);
      return false;
    },
    purge: async (clientId) => {
      await outgoing.deleteMany({ clientId });
      await ledger.deleteOne({ _id: clientId });
      await release(clientId);
    },
  };
}

const DUPLICATE_KEY = 11000;
