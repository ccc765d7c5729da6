// The groups of shared subscriptions one holder knows, with their members: which groups a topic
// reaches (a trie of each group's filter) and, per group, the next member in turn. The route table
// holds edges as members, an edge holds its sessions. Pure.
import { QlobberDedup } from 'qlobber';
import { MQTT_TRIE } from './mqtt-trie.js';
import { parseSharedKey } from '../topics/shared-filter.js';

export class SharedGroups<Member> {
  readonly #trie = new QlobberDedup<string>(MQTT_TRIE);
  readonly #members = new Map<string, Member[]>();
  readonly #turn = new Map<string, number>();

  /** Adds `member` to the group `key` (a `$share/<group>/<filter>` key); idempotent. */
  add(key: string, member: Member): void {
    const members = this.#members.get(key);
    if (members) {
      if (!members.includes(member)) members.push(member);
      return;
    }
    const parsed = parseSharedKey(key);
    if (!parsed) throw new Error(`not a shared subscription key: ${key}`);
    this.#members.set(key, [member]);
    this.#trie.add(parsed.filter, key);
  }

  remove(key: string, member: Member): void {
    const members = this.#members.get(key);
    const index = members?.indexOf(member) ?? -1;
    if (!members || index < 0) return;
    members.splice(index, 1);
    if (members.length > 0) return;
    this.#members.delete(key);
    this.#turn.delete(key);
    this.#trie.remove(parseSharedKey(key)!.filter, key);
  }

  clear(): void {
    this.#trie.clear();
    this.#members.clear();
    this.#turn.clear();
  }

  /** Whether the filter of any group matches `topic`. */
  reaches(topic: string): boolean {
    return this.#members.size > 0 && this.#trie.match(topic).size > 0;
  }

  /** The groups whose filter matches `topic`. */
  groupsFor(topic: string): Set<string> {
    return this.#trie.match(topic);
  }

  has(key: string): boolean {
    return this.#members.has(key);
  }

  /** Groups with at least one member. */
  get size(): number {
    return this.#members.size;
  }

  /** The group's members in turn (round-robin), skipping those `usable` refuses; undefined when none is. */
  next(key: string, usable: (member: Member) => boolean = () => true): Member | undefined {
    const members = this.#members.get(key);
    if (!members) return undefined;
    const start = this.#turn.get(key) ?? 0;
    for (let step = 0; step < members.length; step++) {
      const index = (start + step) % members.length;
      const member = members[index]!;
      if (!usable(member)) continue;
      this.#turn.set(key, index + 1);
      return member;
    }
    return undefined;
  }
}
