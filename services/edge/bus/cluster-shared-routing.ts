// Shared subscriptions across edges (routed-bus.ts): the edge that publishes sends each message
// reaching a group to one edge holding members of it, in turn (its own included), and that edge
// picks the member (shared-subscriptions.ts). A message forwarded once already (the edge meant had
// no member left) is dropped by an edge that has none either (inbox-codec.ts `sharedGroupField`).
import type { Message } from 'mqemitter';
import type { InboxBatches } from './inbox-batches.js';
import { encodeMessage, sharedGroupField } from './inbox-codec.js';
import type { RouteTable } from './route-table.js';
import { sharedMessagesUndeliverable, type SharedDelivery, type SharedRouting } from './shared-routing.js';

export class ClusterSharedRouting implements SharedRouting {
  #delivery: SharedDelivery | undefined;

  /** `id`: this edge's ID in `table`; `batches`: where messages for other edges' inboxes go. */
  constructor(
    private readonly table: RouteTable,
    private readonly id: string,
    private readonly batches: InboxBatches,
  ) {}

  deliverThrough(delivery: SharedDelivery): void {
    this.#delivery = delivery;
  }

  redispatch(key: string, message: Message): void {
    const target = this.target(key, message);
    if (target) this.batches.add(target.edge, encodeMessage(message), noop, target.field);
  }

  /**
   * The next edge in turn with a member of group `key`: this one delivers at once (undefined
   * returned), another gets it in its inbox under `field`; a group without a reachable member drops it.
   */
  target(key: string, message: Message): { edge: string; field: string } | undefined {
    const id = this.id;
    const edge = this.table.nextEdgeOf(key, (candidate) => candidate !== id || this.#delivery !== undefined);
    if (edge === id && this.#delivery!.deliver(key, message)) return undefined;
    // Here had no member after all (the last one left this instant): another edge with one, which
    // must not send it on again.
    const other = edge !== undefined && edge !== id ? edge : this.table.nextEdgeOf(key, (candidate) => candidate !== id);
    if (other === undefined) {
      sharedMessagesUndeliverable.inc();
      return undefined;
    }
    return { edge: other, field: sharedGroupField(key, edge === id) };
  }

  /** A shared message from the inbox; one this edge has no member for goes on once to another edge. */
  fromInbox(key: string, message: Message, forwarded: boolean): void {
    if (this.#delivery?.deliver(key, message)) return;
    if (forwarded) {
      sharedMessagesUndeliverable.inc();
      return;
    }
    const other = this.table.nextEdgeOf(key, (candidate) => candidate !== this.id);
    if (other === undefined) sharedMessagesUndeliverable.inc();
    else this.batches.add(other, encodeMessage(message), noop, sharedGroupField(key, true));
  }
}

function noop(): void {}
