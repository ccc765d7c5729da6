// What every resource manager needs: the store, id and clock sources, quotas and the change feed.
import type { RegistryStore } from '../store/contract.js';
import type { RegistryEvents } from './events.js';

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
}

export class QuotaExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

export function assertWithinQuota(what: string, current: number, limit: number): void {
  if (limit > 0 && current >= limit) {
    throw new QuotaExceededError(`quota exceeded: at most ${limit} ${what} per folder`);
  }
}
