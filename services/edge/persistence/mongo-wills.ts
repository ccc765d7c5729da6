// Wills in MongoDB. aedes-persistence-mongodb indexes none of the will collection, and every edge
// sweeps it for the wills of dead edges every 8 s (aedes' heartbeat × 4) with a `$nin` of the live
// edges, which FerretDB evaluates itself over the whole collection: with 50,000 wills stored, each
// sweep took 2.7 s of FerretDB-on-PostgreSQL time, and a will stored and deleted 17 ms, growing
// with the fleet (loadtest/results/cluster-database.md). Here the lookups are indexed, and a sweep
// reads only the wills of edges that are not live, found through a small collection naming each
// edge that may have stored wills.
import { Binary, type Collection, type Db } from 'mongodb';

interface StoredWill {
  clientId: string;
  packet: { brokerId: string; payload?: unknown };
}

/** An edge (aedes broker) that may have wills stored, and when it last said it was alive. */
interface WillOwner {
  _id: string;
  seen: Date;
}

interface WillStore {
  setup(broker: { id: string }): Promise<void>;
  putWill(client: { id: string }, packet: unknown): Promise<void>;
  delWill(client: { id: string; brokerId?: string }): Promise<unknown>;
  streamWill(brokers?: Record<string, number>): AsyncIterable<unknown>;
}

/**
 * An edge named in the collection, not live, with no wills left and not heard from for this long
 * is forgotten. An edge refreshes its entry at every sweep (8 s) and before storing a will if the
 * entry is older than half of this, and a forgetting delete only matches the entry it read: so an
 * edge's entry exists whenever it has a will stored, even if it was stalled and forgotten before.
 */
const FORGET_AFTER_MS = 30_000;

export async function sweepWillsByOwner(store: WillStore, db: Db, prefix: string): Promise<void> {
  const wills = db.collection<StoredWill>(`${prefix}will`);
  const owners = db.collection<WillOwner>(`${prefix}will_owners`);
  // A disconnect's delete (client and edge) and aedes' own reads by client; the sweep's by edge
  // (FerretDB v1 pushes down no dotted field: there, this one read scans, but only for a dead edge).
  await wills.createIndex({ clientId: 1, 'packet.brokerId': 1 }, { name: 'iotcore_client_broker' });
  await wills.createIndex({ 'packet.brokerId': 1 }, { name: 'iotcore_broker' });
  let ownId: string | undefined;
  let refreshedAt = 0;
  const refresh = async () => {
    refreshedAt = Date.now();
    await owners.updateOne({ _id: ownId! }, { $set: { seen: new Date(refreshedAt) } }, { upsert: true });
  };
  const setup = store.setup.bind(store);
  store.setup = async (broker) => {
    await setup(broker);
    // Wills stored before this collection existed: their edges are named once, never refreshed.
    if ((await owners.estimatedDocumentCount()) === 0)
      for (const brokerId of await wills.distinct('packet.brokerId'))
        if (typeof brokerId === 'string')
          await owners.updateOne({ _id: brokerId }, { $setOnInsert: { seen: new Date(0) } }, { upsert: true });
    ownId = broker.id;
    await refresh();
  };
  const putWill = store.putWill.bind(store);
  store.putWill = async (client, packet) => {
    if (Date.now() - refreshedAt > FORGET_AFTER_MS / 2) await refresh();
    await putWill(client, packet);
  };
  store.streamWill = async function* (brokers = {}) {
    if (ownId === undefined) return;
    await refresh();
    for (const owner of await owners.find({}).toArray()) {
      if (owner._id === ownId || brokers[owner._id] !== undefined) continue;
      let found = false;
      for await (const will of wills.find({ 'packet.brokerId': owner._id })) {
        found = true;
        yield asPacket(will);
      }
      if (!found && Date.now() - owner.seen.getTime() > FORGET_AFTER_MS) await owners.deleteOne({ _id: owner._id, seen: owner.seen });
    }
  };
  deleteWillsByCount(store, wills);
}

/**
 * Every surviving edge sweeps a dead edge's wills, and only the one whose delete removed a will
 * publishes it (hooks/authorize-publish.ts). aedes-persistence-mongodb deletes with
 * findOneAndDelete, which FerretDB runs as a read, then a delete whose count it ignores: on
 * PostgreSQL two edges both got the same will and published it twice. The count a delete returns is
 * atomic on every server. The will is picked by broker as well as client: one the client left since
 * on another edge is not the one meant.
 */
function deleteWillsByCount(store: WillStore, wills: Collection<StoredWill>): void {
  store.delWill = async (client) => {
    // aedes' CONNECT clears the client's stored will before storing the new one, passing the client
    // itself (no broker): the session is now on this edge, so every edge's will of the client goes.
    // Without this, one was left stored at each takeover, to be published when that edge died.
    if (client.brokerId === undefined) {
      await wills.deleteMany({ clientId: client.id });
      return null;
    }
    const will = await wills.findOne({ clientId: client.id, 'packet.brokerId': client.brokerId });
    if (!will) return null;
    const { deletedCount } = await wills.deleteOne({ _id: will._id });
    if (deletedCount !== 1) return null;
    return asPacket(will);
  };
}

/** The packet aedes stored (its client ID among its fields), its payload a Buffer again. */
function asPacket(will: StoredWill): StoredWill['packet'] {
  const payload = will.packet.payload;
  return { ...will.packet, payload: payload instanceof Binary ? Buffer.from(payload.buffer) : payload };
}
