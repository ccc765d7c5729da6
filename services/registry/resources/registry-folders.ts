// The folder of a registry, for the access check of every device-scoped call. A registry never moves
// to another folder (Yandex has no Move for registries) and its ID is never reused, so the answer
// is remembered per replica: a device's Get is one store read instead of two (each a round trip
// with the MongoDB store). Only registries that exist are remembered.
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import type { RegistryStore } from '../store/contract.js';

/** Registries remembered at most; about 150 bytes each. */
const REMEMBERED = 100_000;

export class RegistryFolders {
  readonly #known = new LRUCache<string, string>(lazyCapacity(REMEMBERED));

  constructor(private readonly store: Pick<RegistryStore, 'getRegistry'>) {}

  /** The registry's folder; undefined if there is no such registry. */
  async of(registryId: string): Promise<string | undefined> {
    const known = this.#known.get(registryId);
    if (known !== undefined) return known;
    const folderId = (await this.store.getRegistry(registryId))?.folder_id;
    if (folderId !== undefined) this.#known.set(registryId, folderId);
    return folderId;
  }
}
