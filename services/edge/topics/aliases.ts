// Topic aliases (docs/yandex-behaviour.md §3.6, §3.7): `$me/…` for device connections and user aliases by plain
// string-prefix substitution, and filters over alias names only (`#`: every alias). Within a
// registry no alias is a prefix of another, so the only alias that can be a prefix of a topic is
// the greatest alias ≤ the topic: one binary search, O(log aliases).
import type { Principal } from '../../contracts/principal.js';
import { filterMatches } from './topic-syntax.js';

export interface Resolution {
  canonical: string;
  /** Maps a canonical topic back to the name the client used (identity for canonical names). */
  toClient: (canonical: string) => string;
  viaAlias: boolean;
}

const identity = (topic: string) => topic;

export class AliasTable {
  readonly #aliases: string[];
  readonly #targets: Map<string, string>;
  /** Device ID → its aliases as [target, alias], the longest (most specific) target first. */
  readonly #byDevice = new Map<string, Array<[target: string, alias: string]>>();

  constructor(entries: Array<[alias: string, prefix: string]>) {
    this.#targets = new Map(entries);
    this.#aliases = [...this.#targets.keys()].sort();
    // Every target lies under its own device's `$devices/<id>/` (validated when the alias is set).
    for (const [alias, target] of entries) {
      const deviceId = target.split('/')[1] ?? '';
      const list = this.#byDevice.get(deviceId) ?? [];
      list.push([target, alias]);
      this.#byDevice.set(deviceId, list);
    }
    for (const list of this.#byDevice.values()) list.sort((a, b) => b[0].length - a[0].length);
  }

  get size(): number {
    return this.#aliases.length;
  }

  /**
   * The name under which a filter beginning with no whole alias (`#`, `+/+`, `home/+/events`:
   * Yandex matches such filters against alias names only) receives a device's `canonical` topic:
   * its name through the most specific alias it falls under that the filter matches, if any.
   */
  aliasNameMatching(filter: string, canonical: string): string | undefined {
    for (const [target, alias] of this.#byDevice.get(canonical.split('/', 2)[1] ?? '') ?? []) {
      const name = renamed(target, alias, canonical);
      if (name !== undefined && filterMatches(filter, name)) return name;
    }
    return undefined;
  }

  static for(principal: Principal): AliasTable {
    if (principal.kind === 'device') return new AliasTable(Object.entries(principal.topic_aliases));
    if (principal.kind === 'registry') return new AliasTable(principal.registry_aliases.map((entry) => [entry.alias, entry.topic_prefix]));
    return new AliasTable([]);
  }

  /** The alias that `topic` starts with, if any. */
  match(topic: string): string | undefined {
    let low = 0;
    let high = this.#aliases.length - 1;
    let candidate: string | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const alias = this.#aliases[middle]!;
      if (alias <= topic) {
        candidate = alias;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return candidate !== undefined && topic.startsWith(candidate) ? candidate : undefined;
  }

  resolve(principal: Principal, topic: string): Resolution {
    if (principal.kind === 'device' && topic.startsWith('$me/')) return resolveMe(principal, topic);
    const alias = this.match(topic);
    if (alias === undefined) return { canonical: topic, toClient: identity, viaAlias: false };
    const prefix = this.#targets.get(alias)!;
    return { canonical: prefix + topic.slice(alias.length), toClient: renaming(prefix, alias), viaAlias: true };
  }
}

/**
 * Names a delivered canonical topic as the client's filter did, `from` → `to`. A filter ending in
 * `/#` also matches its parent level [MQTT-4.7.1-2]: `tele/#` for `tele/` → `$devices/D/events/`
 * matches `$devices/D/events`, which arrives as `tele`.
 */
function renaming(from: string, to: string): (canonical: string) => string {
  return (canonical) => renamed(from, to, canonical) ?? canonical;
}

function renamed(from: string, to: string, canonical: string): string | undefined {
  if (canonical.startsWith(from)) return to + canonical.slice(from.length);
  if (from.endsWith('/') && to.endsWith('/') && canonical === from.slice(0, -1)) return to.slice(0, -1);
  return undefined;
}

function resolveMe(device: Principal, topic: string): Resolution {
  const table: Array<[me: string, canonical: string]> = [
    ['$me/device/', `$devices/${device.id}/`],
    ['$me/registry/', `$registries/${device.registry_id}/`],
    ['$me/monitoring/', `$monitoring/${device.id}/`],
  ];
  for (const [me, canonical] of table) {
    if (topic.startsWith(me)) {
      return { canonical: canonical + topic.slice(me.length), toClient: renaming(canonical, me), viaAlias: false };
    }
  }
  return { canonical: topic, toClient: identity, viaAlias: false };
}
