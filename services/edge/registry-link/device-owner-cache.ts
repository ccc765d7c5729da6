// Which registry a device belongs to, as the edge needs it to let a registry publish to
// `$devices/<id>/…` only for its own devices. Answers are kept for 30 s (bounded, least recently
// used out first); the revocation feed drops a deleted device at once, and a gap drops them all.
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import type { RegistryLink } from '../../contracts/registry-link.js';

const MAX_DEVICES = 100_000;
const TTL_MS = 30_000;
/** lru-cache stores no undefined: an unknown device is remembered as this. */
const UNKNOWN = '';

export class DeviceOwnerCache {
  readonly #owners = new LRUCache<string, string>({ ...lazyCapacity(MAX_DEVICES), ttl: TTL_MS });

  constructor(private readonly link: Pick<RegistryLink, 'lookupDevice'>) {}

  /** The registry of `deviceId`, or undefined when no such device exists. */
  async registryOf(deviceId: string): Promise<string | undefined> {
    let owner = this.#owners.get(deviceId);
    if (owner === undefined) {
      owner = (await this.link.lookupDevice(deviceId))?.registry_id ?? UNKNOWN;
      this.#owners.set(deviceId, owner);
    }
    return owner === UNKNOWN ? undefined : owner;
  }

  /** Whether `deviceId` is a device of `registryId` (false for an unknown device). */
  async isDeviceOf(deviceId: string, registryId: string): Promise<boolean> {
    return (await this.registryOf(deviceId)) === registryId;
  }

  forget(deviceId: string): void {
    this.#owners.delete(deviceId);
  }

  forgetAll(): void {
    this.#owners.clear();
  }
}
