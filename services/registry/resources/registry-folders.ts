// The folder of a registry, for the access check of every device-scoped call. A registry never moves
// to another folder (Yandex has no Move for registries), so the answer is remembered per replica: a
// device's Get is one store read instead of two (each a round trip with the MongoDB store). Only
// registries that exist are remembered, and a deleted one is forgotten from the revocation feed:
// `import yandex` keeps Yandex's IDs, so a registry deleted and imported again into another folder
// comes back under the same ID.
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import type { RegistryStore } from '../store/contract.js';
import type { RevocationHandler } from '../../contracts/revocations.js';

/** Registries remembered at most; about 150 bytes each. */
const REMEMBERED = 100_000;

export class RegistryFolders {
  readonly #known = new LRUCache<string, string>(lazyCapacity(REMEMBERED));
  /** Counts forgettings, so a read that a deletion overtook is not remembered. */
  #forgotten = 0;

  constructor(private readonly store: Pick<RegistryStore, 'getRegistry'>) {}

  /** The registry's folder; undefined if there is no such registry. */
  async of(registryId: string): Promise<string | undefined> {
    const known = this.#known.get(registryId);
    if (known !== undefined) return known;
    const forgotten = this.#forgotten;
    const folderId = (await this.store.getRegistry(registryId))?.folder_id;
    if (folderId !== undefined && forgotten === this.#forgotten) this.#known.set(registryId, folderId);
    return folderId;
  }

  /** Follows the revocation feed: a deleted registry is forgotten, everything after a gap in the feed. */
  invalidation(): RevocationHandler {
    return {
      revocation: (revocation) => {
        if (revocation.kind !== 'REGISTRY_DELETED') return;
        this.#forgotten++;
        this.#known.delete(revocation.entity_id);
      },
      gap: () => {
        this.#forgotten++;
        this.#known.clear();
      },
      ready: () => undefined,
      lost: () => undefined,
    };
  }
}
