// The session ledger (session-ledger.ts) in MongoDB, shared by every edge. One document per
// persistent session in `mqtt_offline_sessions` (named when it held only offline sessions): `since`
// when offline, `holder` and `connection` (the edge and its connection's number) when a connection
// holds it. One per edge in `mqtt_session_holders`: the lease its holder renews. Conditional writes
// keep one connection from overwriting what a newer one recorded: a connection's close records its
// session offline only while the entry still names that connection.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../../common/mongo-errors.js';
import type { SessionLedger } from './session-ledger.js';

interface Entry {
  _id: string;
  since?: Date;
  holder?: string;
  connection?: number;
}

export async function mongoSessionLedger(db: Db, collectionPrefix: string): Promise<SessionLedger> {
  const holder = randomUUID();
  const entries: Collection<Entry> = db.collection(`${collectionPrefix}offline_sessions`);
  const leases: Collection<{ _id: string; until: Date }> = db.collection(`${collectionPrefix}session_holders`);
  // One document per claimed session: its unique _id makes a claim atomic also on servers whose
  // conditional updates are not (FerretDB v1 reads, then writes: two edges both "won").
  const claims: Collection<{ _id: string; until: Date }> = db.collection(`${collectionPrefix}offline_session_claims`);
  const outgoing = db.collection(`${collectionPrefix}outgoing`);
  await entries.createIndex({ since: 1 });
  await entries.createIndex({ holder: 1 });
  const release = (clientId: string) => claims.deleteOne({ _id: clientId });
  const takeClaim = async (clientId: string, holdMs: number): Promise<boolean> => {
    const now = Date.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await claims.insertOne({ _id: clientId, until: new Date(now + holdMs) });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const held = await claims.findOne({ _id: clientId });
        if (held && held.until.getTime() >= now) return false;
        // A lapsed claim (its sweeper died): removed only as it was read, then claimed afresh.
        if (held) await claims.deleteOne({ _id: clientId, until: held.until });
      }
    }
    return false;
  };
  let renewed = false;
  return {
    held: async (clientId, connection) =>
      (await entries.updateOne({ _id: clientId }, { $set: { holder, connection }, $unset: { since: '' } }, { upsert: true }))
        .matchedCount === 1,
    ended: async (clientId) => {
      await entries.deleteOne({ _id: clientId });
    },
    offline: async (clientId, connection, at) => {
      const { matchedCount } = await entries.updateOne({ _id: clientId, holder, connection }, { $set: { since: at }, $unset: UNHELD });
      // No entry held here: the connection came before this ledger recorded holders, or its CONNECT's
      // write failed. Recorded offline unless an entry exists (held elsewhere, or already offline).
      if (matchedCount === 0) await entries.insertOne({ _id: clientId, since: at }).catch(unlessDuplicateKey);
      await release(clientId);
    },
    // A claim left behind is harmless: claim() first needs the ledger entry, and offline() clears it.
    offlineSince: async (before, limit) =>
      (
        await entries
          .find({ since: { $lt: before } })
          .limit(limit)
          .toArray()
      ).map((entry) => entry._id),
    claim: async (clientId, before, holdMs) => {
      if (!(await takeClaim(clientId, holdMs))) return false;
      // Checked under the claim, not before it: an edge that has just removed the session deleted
      // its entry before releasing its claim, so a claim taken after that release finds no entry.
      if (await entries.findOne({ _id: clientId, since: { $lt: before } })) return true;
      await release(clientId);
      return false;
    },
    purge: async (clientId) => {
      await outgoing.deleteMany({ clientId });
      await entries.deleteOne({ _id: clientId });
      await release(clientId);
    },
    renew: async (leaseMs) => {
      const now = Date.now();
      const before = await leases.findOneAndUpdate(
        { _id: holder },
        { $set: { until: new Date(now + leaseMs) } },
        { upsert: true, returnDocument: 'before' },
      );
      const lapsed = renewed && (before === null || before.until.getTime() < now);
      renewed = true;
      return lapsed;
    },
    releaseLapsed: async (at, limit) => {
      let released = 0;
      for (const lapsed of await leases.find({ _id: { $ne: holder }, until: { $lt: new Date() } }).toArray()) {
        const held = await entries
          .find({ holder: lapsed._id })
          .limit(limit - released)
          .toArray();
        for (const entry of held) {
          const { modifiedCount } = await entries.updateOne(
            { _id: entry._id, holder: lapsed._id },
            { $set: { since: at }, $unset: UNHELD },
          );
          released += modifiedCount;
        }
        // Forgotten once it holds nothing, and only as read: an edge that was only slow renews it
        // meanwhile, or finds it gone at its next renewal and reclaims its sessions.
        if (held.length === 0) await leases.deleteOne({ _id: lapsed._id, until: lapsed.until });
        if (released >= limit) break;
      }
      return released;
    },
    reclaim: async (clientId, connection) => {
      await entries.updateOne({ _id: clientId, holder: { $exists: false } }, { $set: { holder, connection }, $unset: { since: '' } });
    },
  };
}

const UNHELD = { holder: '', connection: '' } as const;
const unlessDuplicateKey = (error: unknown) => {
  if (!isDuplicateKey(error)) throw error;
};
