// The cluster route table as one edge holds it: for each MQTT filter (internal namespace) that a
// client of another edge subscribes to, which edges hold it. A message is sent only to the edges
// `edgesFor` its topic names, so Redis traffic grows with the subscribers a message has, not with
// the edges. Pure: bus/routed-bus.ts feeds it from Redis; matching is qlobber's MQTT trie (the one
// mqemitter and aedes-persistence use). Shared subscriptions are routes too, under their group key
// (`$share/<group>/<filter>`): a message goes to one edge of each group it reaches, in turn.
import { QlobberDedup } from 'qlobber';
import { remember } from '../../common/bounded-memo.js';
import { isSharedKey } from '../topics/shared-filter.js';
import { MQTT_TRIE } from './mqtt-trie.js';
import { SharedGroups } from './shared-groups.js';

/** One entry of the change feed. */
export type RouteChange =
  | { op: 'add' | 'remove'; edge: string; filter: string }
  /** The edge registered its whole set again (start, reconnect): read it from the snapshot. */
  | { op: 'reset'; edge: string }
  /** The edge left, or its lease ran out. */
  | { op: 'drop'; edge: string };

/** Topics whose edges are remembered until the table changes (a fleet's device topics, mostly). */
const MATCHES_REMEMBERED = 4096;

export class RouteTable {
  readonly #trie = new QlobberDedup<string>(MQTT_TRIE);
  readonly #shared = new SharedGroups<string>();
  readonly #filtersOf = new Map<string, Set<string>>();
  /** Topic → `edgesFor` it: every message is matched, the table changes far less often. */
  readonly #matches = new Map<string, Set<string>>();
  #routes = 0;

  /** Idempotent: the feed may repeat what a snapshot already held. */
  add(edge: string, filter: string): void {
    let filters = this.#filtersOf.get(edge);
    if (!filters) this.#filtersOf.set(edge, (filters = new Set()));
    if (filters.has(filter)) return;
    filters.add(filter);
    if (isSharedKey(filter)) this.#shared.add(filter, edge);
    else {
      this.#trie.add(filter, edge);
      this.#matches.clear();
    }
    this.#routes++;
  }

  remove(edge: string, filter: string): void {
    const filters = this.#filtersOf.get(edge);
    if (!filters?.delete(filter)) return;
    if (filters.size === 0) this.#filtersOf.delete(edge);
    this.#forget(edge, filter);
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
    for (const filter of filters) this.#forget(edge, filter);
    this.#routes -= filters.size;
    this.#filtersOf.delete(edge);
  }

  #forget(edge: string, filter: string): void {
    if (isSharedKey(filter)) this.#shared.remove(filter, edge);
    else {
      this.#trie.remove(filter, edge);
      this.#matches.clear();
    }
  }

  clear(): void {
    this.#trie.clear();
    this.#matches.clear();
    this.#shared.clear();
    this.#filtersOf.clear();
    this.#routes = 0;
  }

  /** The edges with a subscription matching `topic` (a set the caller must not change). */
  edgesFor(topic: string): Set<string> {
    return remember(this.#matches, MATCHES_REMEMBERED, topic, (key) => this.#trie.match(key));
  }

  /**
   * Whether any edge or shared group has a subscription matching `topic`. Not remembered: asked
   * for topics no message may ever be sent to, which must not push out the ones `edgesFor` keeps.
   */
  reaches(topic: string): boolean {
    return this.#trie.match(topic).size > 0 || this.#shared.reaches(topic);
  }

  /** The shared-subscription groups (keys) whose filter matches `topic`. */
  sharedGroupsFor(topic: string): Set<string> | undefined {
    return this.#shared.size > 0 ? this.#shared.groupsFor(topic) : undefined;
  }

  /** The next edge in turn holding a member of the group `key`, among those `usable` accepts. */
  nextEdgeOf(key: string, usable?: (edge: string) => boolean): string | undefined {
    return this.#shared.next(key, usable);
  }

  edges(): string[] {
    return [...this.#filtersOf.keys()];
  }

  /** (edge, filter) entries held. */
  get size(): number {
    return this.#routes;
  }
}
