// A SUBSCRIBE's subscriptions, stored in commands FerretDB v1 can finish (common/mongo-write-batches.ts).
// aedes-persistence-mongodb upserts every filter of a SUBSCRIBE in one command. The first time they
// are inserts, which FerretDB finishes; a persistent session subscribing again (every reconnecting
// backend, or any device sending one SUBSCRIBE with many filters twice) updates them, and with as
// many filters as FerretDB's pool holds (up to 1,000 per connection are allowed) that command never
// returned and FerretDB answered nothing else.
import type { Client } from 'aedes';
import { inCommandSizedSlices } from '../../common/mongo-write-batches.js';

interface SubscriptionWrites {
  addSubscriptions(client: Client, subscriptions: unknown[]): Promise<void>;
}

/**
 * The library's own write, a slice at a time: each slice is stored and then announced to the other
 * edges, as if the client had sent its filters in several SUBSCRIBEs.
 */
export function writeSubscriptionsInChunks(store: SubscriptionWrites): void {
  const addSubscriptions = store.addSubscriptions.bind(store);
  store.addSubscriptions = (client, subscriptions) => inCommandSizedSlices(subscriptions, (slice) => addSubscriptions(client, slice));
}
