// Secondary indexes of the embedded store: the IDs of each group (a registry's devices, a folder's
// registries, a resource's operations) kept sorted, so a page is read in O(log n + page size) and a
// count is O(1), whatever the size of the other groups.
import { OrderedMap } from '@js-sdsl/ordered-map';

export class SortedIdGroups {
  readonly #groups = new Map<string, OrderedMap<string, true>>();

  add(group: string, id: string): void {
    let ids = this.#groups.get(group);
    if (!ids) this.#groups.set(group, (ids = new OrderedMap<string, true>()));
    ids.setElement(id, true);
  }

  remove(group: string, id: string): void {
    const ids = this.#groups.get(group);
    if (!ids) return;
    ids.eraseElementByKey(id);
    if (ids.size() === 0) this.#groups.delete(group);
  }

  size(group: string): number {
    return this.#groups.get(group)?.size() ?? 0;
  }

  /** Up to `limit` IDs of the group greater than `after` (all when undefined), ascending. */
  after(group: string, after: string | undefined, limit: number): string[] {
    const ids = this.#groups.get(group);
    if (!ids) return [];
    const found: string[] = [];
    const end = ids.end();
    for (const it = after === undefined ? ids.begin() : ids.upperBound(after); !it.equals(end) && found.length < limit; it.next()) {
      found.push(it.pointer[0]);
    }
    return found;
  }
}
