// The cluster route table as one edge holds it: for each MQTT filter (internal namespace) that a
// client of another edge subscribes to, which edges hold it. A message is sent only to the edges
// `edgesFor` its topic names, so Redis traffic grows with the subscribers a message has, not with
// the edges. Pure: bus/routed-bus.ts feeds it from Redis; matching is qlobber's MQTT trie (the one
// mqemitter and aedes-persistence use).
import { QlobberDedup } from 'qlobber';

/** One entry of the change feed. */
export type RouteChange =
  | { op: 'add' | 'remove'; edge: string; filter: string }
  /** The edge registered its whole set again (start, reconnect): read it from the snapshot. */
  | { op: 'reset'; edge: string }
  /** The edge left, or its lease ran out. */
  | { op: 'drop'; edge: string };

export class RouteTable {
  readonly #trie = new QlobberDedup<string>({ separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true });
  readonly #filtersOf = new Map<string, Set<string>>();
  #routes = 0;

  /** Idempotent: the feed may repeat what a snapshot already held. */
  add(edge: string, filter: string): void {
    let filters = this.#filtersOf.get(edge);
    if (!filters) this.#filtersOf.set(edge, (filters = new Set()));
    if (filters.has(filter)) return;
    filters.add(filter);
    this.#trie.add(filter, edge);
    this.#routes++;
  }

  remove(edge: string, filter: string): void {
    const filters = this.#filtersOf.get(edge);
    if (!filters?.delete(filter)) return;
    if (filters.size === 0) this.#filtersOf.delete(edge);
    this.#trie.remove(filter, edge);
    this.#routes--;
  }

  /** Replaces everything known of `edge` with `filters`. */
  replaceEdge(edge: string, filters: Iterable<string>): void {
    this.dropEdge(edge);
    for (const filter of filters) this.add(edge, filter);
  }

  dropEdge(edge: string): void {
    const filters = this.#filtersOf.get(edge);
    if (!filters) return;
    for (const filter of filters) this.#trie.remove(filter, edge);
    this.#routes -= filters.size;
    this.#filtersOf.delete(edge);
  }

  clear(): void {
    this.#trie.clear();
    this.#filtersOf.clear();
    this.#routes = 0;
  }

  /** The edges with a subscription matching `topic`. */
  edgesFor(topic: string): Set<string> {
    return this.#trie.match(topic);
  }

  edges(): string[] {
    return [...this.#filtersOf.keys()];
  }

  /** (edge, filter) entries held. */
  get size(): number {
    return this.#routes;
  }
}
