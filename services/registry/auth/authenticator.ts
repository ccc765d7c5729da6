// Decides who an MQTT CONNECT is (spec §2.2–2.6). A password, when present, decides alone and
// names the entity by the username; otherwise the client certificate's fingerprint does.
// Verified passwords are cached (keyed by a digest, never the password) so a reconnect storm
// costs one store read per client instead of one slow hash; the cache entry is only trusted while
// the password record it came from still exists, and the revocation feed drops an entity's entries.
import { createHash } from 'node:crypto';
import { verifyPassword } from '../credentials/passwords.js';
import type { RegistryStore } from '../store/contract.js';
import type { PasswordRecord } from '../store/records.js';
import type { AuthOutcome, AuthRequest, OwnerKind } from '../../contracts/principal.js';
import { listRegistryAliases } from '../resources/devices.js';
import type { ResourceContext } from '../resources/context.js';
import type { RevocationHandler } from '../../contracts/revocations.js';

const MAX_CACHED_PASSWORDS = 100_000;

export class Authenticator {
  /** entity → digest(entity, password) → password id */
  readonly #verified = new Map<string, Map<string, string>>();
  #cachedPasswords = 0;
  /** digest(entity, password) → the slow check under way for it */
  readonly #verifying = new Map<string, Promise<string | undefined>>();

  constructor(private readonly ctx: ResourceContext) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    if (request.password !== undefined) return this.#byPassword(request.username, request.password);
    if (request.certificate_fingerprint) return this.#byCertificate(request.certificate_fingerprint);
    return { result: 'NOT_AUTHORIZED', reason: 'no password and no client certificate' };
  }

  async #byPassword(username: string, password: Buffer): Promise<AuthOutcome> {
    const owner = await findOwner(this.ctx.store, username);
    if (!owner) return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'unknown username' };
    const passwords = await this.ctx.store.listPasswords(owner.kind, username);
    const passwordId = await this.#matchPassword(username, password, passwords);
    if (!passwordId) return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'wrong password' };
    return this.describe(owner.kind, username, passwordId);
  }

  async #byCertificate(fingerprint: string): Promise<AuthOutcome> {
    const certificate = await this.ctx.store.findCertificate(fingerprint.toLowerCase());
    if (!certificate) return { result: 'NOT_AUTHORIZED', reason: 'unknown certificate' };
    return this.describe(certificate.owner_kind, certificate.owner_id, certificate.fingerprint);
  }

  async #matchPassword(entityId: string, password: Buffer, passwords: PasswordRecord[]): Promise<string | undefined> {
    const key = createHash('sha256').update(entityId).update('\0').update(password).digest('base64');
    const cached = this.#verified.get(entityId)?.get(key);
    if (cached && passwords.some((record) => record.id === cached)) return cached;
    // Many clients sharing one credential (a backend's instances) connecting at once wait for one
    // slow hash instead of each queueing its own behind the deadline.
    let verifying = this.#verifying.get(key);
    if (!verifying) {
      verifying = this.#verify(entityId, key, password, passwords).finally(() => this.#verifying.delete(key));
      this.#verifying.set(key, verifying);
    }
    return verifying;
  }

  async #verify(entityId: string, key: string, password: Buffer, passwords: PasswordRecord[]): Promise<string | undefined> {
    const text = password.toString('utf8');
    for (const record of passwords) {
      if (await verifyPassword(text, record.hash)) {
        this.#remember(entityId, key, record.id);
        return record.id;
      }
    }
    return undefined;
  }

  #remember(entityId: string, key: string, passwordId: string): void {
    if (this.#cachedPasswords >= MAX_CACHED_PASSWORDS) this.#forgetAll();
    let entries = this.#verified.get(entityId);
    if (!entries) this.#verified.set(entityId, (entries = new Map()));
    if (!entries.has(key)) this.#cachedPasswords++;
    entries.set(key, passwordId);
  }

  #forget(entityId: string): void {
    this.#cachedPasswords -= this.#verified.get(entityId)?.size ?? 0;
    this.#verified.delete(entityId);
  }

  #forgetAll(): void {
    this.#verified.clear();
    this.#cachedPasswords = 0;
  }

  /** Follows the revocation feed: a revoked entity's verified passwords are verified again. */
  cacheInvalidation(): RevocationHandler {
    return {
      revocation: (revocation) => this.#forget(revocation.entity_id),
      gap: () => this.#forgetAll(),
      ready: () => undefined,
      lost: () => undefined,
    };
  }

  /**
   * Whether a live session is still allowed as it was authenticated: its credential still exists
   * and is the entity's, and the entity may still connect. The principal returned carries the
   * current aliases, for the edge to compare.
   */
  async recheck(kind: OwnerKind, id: string, credentialId: string): Promise<AuthOutcome> {
    const password = await this.ctx.store.getPassword(credentialId);
    const owned = password
      ? password.owner_kind === kind && password.owner_id === id
      : await this.ctx.store.findCertificate(credentialId).then((certificate) => certificate?.owner_kind === kind && certificate.owner_id === id);
    if (!owned) return { result: 'NOT_AUTHORIZED', reason: 'the credential of the session no longer exists' };
    return this.describe(kind, id, credentialId);
  }

  /** The principal an entity acts as, refused when it is gone or its registry is disabled. */
  async describe(kind: OwnerKind, id: string, credentialId: string): Promise<AuthOutcome> {
    const base = { kind, id, credential_id: credentialId, topic_aliases: {}, registry_aliases: [] };
    if (kind === 'broker') {
      const broker = await this.ctx.store.getBroker(id);
      if (!broker) return { result: 'NOT_AUTHORIZED', reason: 'broker no longer exists' };
      return { result: 'OK', principal: { ...base, registry_id: '', folder_id: broker.folder_id } };
    }
    const device = kind === 'device' ? await this.ctx.store.getDevice(id) : undefined;
    const registryId = device ? device.registry_id : id;
    const registry = await this.ctx.store.getRegistry(registryId);
    if (!registry || (kind === 'device' && !device)) return { result: 'NOT_AUTHORIZED', reason: `${kind} no longer exists` };
    if (registry.status === 'DISABLED') return { result: 'NOT_AUTHORIZED', reason: `registry ${registry.id} is disabled` };
    if (device) {
      return { result: 'OK', principal: { ...base, registry_id: registry.id, folder_id: registry.folder_id, topic_aliases: device.topic_aliases } };
    }
    return {
      result: 'OK',
      principal: { ...base, registry_id: registry.id, folder_id: registry.folder_id, registry_aliases: await listRegistryAliases(this.ctx, registry.id) },
    };
  }
}

async function findOwner(store: RegistryStore, id: string): Promise<{ kind: OwnerKind } | undefined> {
  if (await store.getDevice(id)) return { kind: 'device' };
  if (await store.getRegistry(id)) return { kind: 'registry' };
  if (await store.getBroker(id)) return { kind: 'broker' };
  return undefined;
}
