// Which password of an entity a presented password is, checked as cheaply as is safe:
//  1. this process remembers verified (entity, password) pairs (bounded, least recently used out);
//  2. the shared cache (shared-credential-cache.ts) remembers them across restarts and replicas;
//  3. otherwise the slow salted hash decides, once for all clients presenting the same password at
//     the same moment (a backend's instances starting together), and one hash at a time per entity:
//     many addresses guessing one device's password share one hashing slot instead of taking all
//     of them, so other devices' CONNECTs are not starved and the owner is slowed, never refused.
// Every remembered answer names a password record and counts only while that record still exists
// for the entity; the revocation feed drops a revoked entity's answers.
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import { Counter } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import { verifyPassword } from '../credentials/passwords.js';
import type { PasswordRecord } from '../store/records.js';
import { credentialMac, type SharedCredentialCache } from './shared-credential-cache.js';

const MAX_ENTITIES = 100_000;

const checks = new Counter({
  name: 'iotcore_password_checks_total',
  help: 'passwords checked, by how the answer was found (memory: verified before by this process; shared: the shared credential cache; slow: the salted hash)',
  labelNames: ['path'],
});

export class VerifiedPasswords {
  /** entity → MAC(entity, password) → password ID */
  readonly #memory = new LRUCache<string, Map<string, string>>(lazyCapacity(MAX_ENTITIES));
  /** MAC → the slow check under way for it */
  readonly #verifying = new Map<string, Promise<string | undefined>>();
  /** entity → the end of its queue of slow hashes */
  readonly #hashing = new Map<string, Promise<unknown>>();
  readonly #secret: Buffer;

  constructor(private readonly options: { shared?: SharedCredentialCache; secret?: Buffer; logger?: Logger } = {}) {
    this.#secret = options.secret ?? randomBytes(32);
  }

  /** The ID of the entity's password that `password` is, or undefined. */
  async match(entityId: string, password: Buffer, passwords: PasswordRecord[]): Promise<string | undefined> {
    const mac = credentialMac(this.#secret, entityId, password);
    const exists = (id: string | undefined): id is string => id !== undefined && passwords.some((record) => record.id === id);
    const remembered = this.#memory.get(entityId)?.get(mac);
    if (exists(remembered)) {
      checks.inc({ path: 'memory' });
      return remembered;
    }
    let verifying = this.#verifying.get(mac);
    if (!verifying) {
      verifying = this.#lookUp(entityId, mac, password, passwords, exists).finally(() => this.#verifying.delete(mac));
      this.#verifying.set(mac, verifying);
    }
    return verifying;
  }

  /**
   * Records a password the registry was just given in plaintext with its new record (an import
   * with a passwords file), as a verified CONNECT would: the entity's first CONNECT then needs no
   * slow hash, also on other replicas and after restarts. A failed write is only logged.
   */
  async vouch(entityId: string, password: string, passwordId: string): Promise<void> {
    await this.#record(entityId, credentialMac(this.#secret, entityId, Buffer.from(password, 'utf8')), passwordId);
  }

  forget(entityId: string): void {
    this.#memory.delete(entityId);
    this.options.shared
      ?.forget(entityId)
      .catch((error: unknown) => this.options.logger?.warn({ err: error }, 'could not drop shared credential cache entries'));
  }

  /** This process's answers only: the shared ones are checked against the store on every use. */
  forgetAll(): void {
    this.#memory.clear();
  }

  async #lookUp(
    entityId: string,
    mac: string,
    password: Buffer,
    passwords: PasswordRecord[],
    exists: (id: string | undefined) => id is string,
  ): Promise<string | undefined> {
    const shared = await this.options.shared?.get(entityId, mac).catch((error: unknown) => {
      this.options.logger?.warn({ err: error }, 'shared credential cache unavailable; checking the hash');
      return undefined;
    });
    if (exists(shared)) {
      checks.inc({ path: 'shared' });
      this.#remember(entityId, mac, shared);
      return shared;
    }
    return this.#oneAtATime(entityId, async () => {
      // The same password may have been verified while this check waited its turn.
      const remembered = this.#memory.get(entityId)?.get(mac);
      if (exists(remembered)) {
        checks.inc({ path: 'memory' });
        return remembered;
      }
      checks.inc({ path: 'slow' });
      const text = password.toString('utf8');
      for (const record of passwords) {
        if (!(await verifyPassword(text, record.hash))) continue;
        void this.#record(entityId, mac, record.id);
        return record.id;
      }
      return undefined;
    });
  }

  /** Runs `task` after every earlier task of the same entity has finished. */
  #oneAtATime<T>(entityId: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#hashing.get(entityId) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#hashing.set(entityId, tail);
    void tail.then(() => {
      if (this.#hashing.get(entityId) === tail) this.#hashing.delete(entityId);
    });
    return result;
  }

  /** A pair just verified (or vouched for): remembered here and in the shared cache, whose failure is only logged. */
  async #record(entityId: string, mac: string, passwordId: string): Promise<void> {
    this.#remember(entityId, mac, passwordId);
    await this.options.shared
      ?.set(entityId, mac, passwordId)
      .catch((error: unknown) => this.options.logger?.warn({ err: error }, 'could not write the shared credential cache'));
  }

  #remember(entityId: string, mac: string, passwordId: string): void {
    let entries = this.#memory.get(entityId);
    if (!entries) this.#memory.set(entityId, (entries = new Map()));
    entries.set(mac, passwordId);
  }
}
