// Two database operations per QoS 1 message to a persistent session instead of three.
// aedes-persistence-mongodb stores the message when it is published (an insert), records the
// packet identifier of each delivery on it (an update), so that a later PUBACK finds it and a
// session resumed elsewhere resends it under the same identifier, and deletes it at PUBACK. Nearly
// every PUBACK arrives on the same connection moments after the delivery, so the identifier is kept
// in memory and the PUBACK deletes the message by its broker counter; the identifier is written
// only for messages still unacknowledged when the connection closes. An edge that crashes loses
// those identifiers: the session, resumed, gets its unacknowledged messages under new identifiers,
// which QoS 1 allows as duplicates. (Cross-edge persistent QoS 1, loadtest/results/cluster-database.md.)
import type { Client } from 'aedes';
import type { Collection } from 'mongodb';
import { aedesInternals } from '../aedes/internals.js';

interface Delivery {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}

export interface OutgoingStore {
  outgoingUpdate(client: Client, packet: Delivery): Promise<unknown>;
  outgoingClearMessageId(client: Client, packet: Delivery): Promise<unknown>;
}

export function writeMessageIdsAtClose(store: OutgoingStore, outgoing: Collection): void {
  const record = store.outgoingUpdate.bind(store);
  const clear = store.outgoingClearMessageId.bind(store);
  /** Per connection: packet identifier → the delivery not yet acknowledged. */
  const unacknowledged = new WeakMap<Client, Map<number, Delivery>>();
  const writeAtClose = (client: Client) => {
    const deliveries = unacknowledged.get(client);
    unacknowledged.delete(client);
    // Best effort: a message whose identifier is not written is resent under a new one.
    for (const delivery of deliveries?.values() ?? []) void record(client, delivery).catch(() => undefined);
  };
  store.outgoingUpdate = async (client, packet) => {
    if (packet.brokerId === undefined || packet.messageId === undefined || aedesInternals.isClosing(client)) return record(client, packet);
    let deliveries = unacknowledged.get(client);
    if (!deliveries) {
      deliveries = new Map();
      unacknowledged.set(client, deliveries);
      aedesInternals.whenClosed(client, () => writeAtClose(client));
    }
    deliveries.set(packet.messageId, packet);
  };
  store.outgoingClearMessageId = async (client, packet) => {
    const delivery = packet.messageId === undefined ? undefined : unacknowledged.get(client)?.get(packet.messageId);
    if (!delivery) return clear(client, packet);
    unacknowledged.get(client)!.delete(packet.messageId!);
    await outgoing.deleteOne({ clientId: client.id, 'packet.brokerId': delivery.brokerId, 'packet.brokerCounter': delivery.brokerCounter });
    return delivery;
  };
}
