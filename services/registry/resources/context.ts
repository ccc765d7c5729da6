// What every resource manager needs: the store, id and clock sources, quotas and the change feed.
import type { RegistryStore } from '../store/contract.js';
import type { RegistryEvents } from './events.js';
import type { RegistryFolders } from './registry-folders.js';

/** Per-folder caps on resource counts; 0 disables a cap (Yandex's defaults are 10 / 1000 / 10). */
export interface Quotas {
  registries_per_folder: number;
  devices_per_folder: number;
  brokers_per_folder: number;
}

export interface ResourceContext {
  store: RegistryStore;
  newId: () => string;
  now: () => Date;
  quotas: Quotas;
  events: RegistryEvents;
  registryFolders: RegistryFolders;
  /** Remembers a password just stored from plaintext as verified (auth/verified-passwords.ts). */
  vouchPassword?: (entityId: string, password: string, passwordId: string) => Promise<void>;
}

export class QuotaExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

/** Yandex's quota codes (docs/yandex-behaviour.md, limits), named in the error so a user knows which one to raise. */
const QUOTA_CODES: Record<string, string> = {
  registries: 'iot.registries.count',
  devices: 'iot.devices.count',
  brokers: 'iot.brokers.count',
};

export function assertWithinQuota(what: string, current: number, limit: number): void {
  if (limit > 0 && current >= limit) {
    const code = QUOTA_CODES[what];
    throw new QuotaExceededError(`quota exceeded${code ? ` (${code})` : ''}: at most ${limit} ${what} per folder`);
  }
}
