// Which messages a connection was recently given, so a message matching two of its subscriptions is
// delivered once. aedes does this by remembering the highest counter seen per publishing broker,
// which silently drops messages that arrive out of order, and they do: concurrent QoS 1 publishes
// on one edge reach the bus in the order their database writes finish, not the order they were
// counted. This remembers the last few thousand message IDs instead, in any order.
export class RecentDeliveries {
  readonly #seen = new Set<string>();
  readonly #order: string[] = [];
  #next = 0;

  constructor(private readonly capacity = 4096) {}

  /** True the first time a message ID is offered (within the window), false for a repeat. */
  firstTime(id: string): boolean {
    if (this.#seen.has(id)) return false;
    const evicted = this.#order[this.#next];
    if (evicted !== undefined) this.#seen.delete(evicted);
    this.#order[this.#next] = id;
    this.#next = (this.#next + 1) % this.capacity;
    this.#seen.add(id);
    return true;
  }
}
