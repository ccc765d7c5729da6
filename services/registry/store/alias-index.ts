// The aliases of one registry in string order, the index behind the rule that no alias may be a
// prefix of another (docs/yandex-behaviour.md §3.6). Aliases that have A as a prefix are the run of keys starting at A;
// aliases that are a prefix of A are found by looking up each of A's prefixes. So a check costs
// O(|A| log n) instead of reading every device of the registry.
import { OrderedMap } from '@js-sdsl/ordered-map';
import type { AliasRecord } from './records.js';

// Keys are `alias NUL device`: NUL cannot occur in an alias and sorts first, so the keys of an alias
// keep string order, and two devices holding the same alias (a race past the check) both stay seen.
const SEPARATOR = '\0';

export class RegistryAliasIndex {
  readonly #sorted = new OrderedMap<string, AliasRecord>();

  get size(): number {
    return this.#sorted.size();
  }

  add(deviceId: string, aliases: Record<string, string>): void {
    for (const [alias, topic_prefix] of Object.entries(aliases)) {
      this.#sorted.setElement(alias + SEPARATOR + deviceId, { device_id: deviceId, alias, topic_prefix });
    }
  }

  remove(deviceId: string, aliases: Record<string, string>): void {
    for (const alias of Object.keys(aliases)) this.#sorted.eraseElementByKey(alias + SEPARATOR + deviceId);
  }

  /** Aliases of devices other than `exceptDeviceId` that are a prefix of one of `aliases` or have one as a prefix. */
  conflicts(exceptDeviceId: string, aliases: string[]): AliasRecord[] {
    const found = new Map<string, AliasRecord>();
    const collect = (startsWith: string) => {
      const end = this.#sorted.end();
      for (const it = this.#sorted.lowerBound(startsWith); !it.equals(end) && it.pointer[0].startsWith(startsWith); it.next()) {
        const [key, entry] = it.pointer;
        if (entry.device_id !== exceptDeviceId) found.set(key, entry);
      }
    };
    for (const alias of aliases) {
      collect(alias); // equal to the alias or longer
      for (let length = 1; length < alias.length; length++) collect(alias.slice(0, length) + SEPARATOR); // strictly shorter
    }
    return [...found.values()].sort(byDeviceThenAlias);
  }
}

function byDeviceThenAlias(a: AliasRecord, b: AliasRecord): number {
  if (a.device_id !== b.device_id) return a.device_id < b.device_id ? -1 : 1;
  return a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0;
}
