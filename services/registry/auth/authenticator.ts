// Decides who an MQTT CONNECT is (docs/yandex-behaviour.md §2.2–2.6). A password, when present, decides alone and
// names the entity by the username; otherwise the client certificate's fingerprint does.
// Which password matched is found as cheaply as is safe (verified-passwords.ts), so a reconnect
// storm costs a store read per client instead of a slow hash.
import type { RegistryStore } from '../store/contract.js';
import type { AuthOutcome, AuthRequest, OwnerKind } from '../../contracts/principal.js';
import { listRegistryAliases } from '../resources/devices.js';
import type { ResourceContext } from '../resources/context.js';
import type { RevocationHandler } from '../../contracts/revocations.js';
import { VerifiedPasswords } from './verified-passwords.js';
import { DEFAULT_LOG_POLICY, type LogPolicy, type LogSubject } from '../../contracts/connection-logs.js';
import type { LogOptionsRecord } from '../store/records.js';
import { isLiveCredentialShape, liveCredentialOfId, readLiveCredential, type LiveCredential } from '../access/live-credential.js';
import type { Role } from '../access/roles.js';

/** The role a live-view credential's issuer must still hold on the registry's folder at every CONNECT. */
export const LIVE_VIEW_ROLE: Role = 'iot.registries.writer';

/** What checking a live-view credential (access/live-credential.ts) needs from the API side. */
export interface LiveCredentialCheck {
  key: Buffer;
  /** Whether the API principal named `issuer` still holds `role` on the folder (its token not revoked or expired). */
  issuerHolds(issuer: string, role: Role, folderId: string): Promise<boolean>;
}

export class Authenticator {
  readonly #passwords: VerifiedPasswords;

  constructor(
    private readonly ctx: ResourceContext,
    passwords = new VerifiedPasswords(),
    private readonly live?: LiveCredentialCheck,
  ) {
    this.#passwords = passwords;
  }

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    if (request.password !== undefined) return this.#byPassword(request.username, request.password);
    if (request.certificate_fingerprint) return this.#byCertificate(request.certificate_fingerprint);
    return { result: 'NOT_AUTHORIZED', reason: 'no password and no client certificate' };
  }

  async #byPassword(username: string, password: Buffer): Promise<AuthOutcome> {
    // A live-view credential is never compared with stored passwords, nor a stored password read as one.
    if (isLiveCredentialShape(password)) return this.#byLiveCredential(username, password.toString('utf8'));
    const owner = await findOwner(this.ctx.store, username);
    if (!owner) return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'unknown username' };
    const passwords = await this.ctx.store.listPasswords(owner.kind, username);
    const passwordId = await this.#passwords.match(username, password, passwords);
    if (!passwordId)
      return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'wrong password', subject: await this.#logSubject(owner.kind, username) };
    return this.describe(owner.kind, username, passwordId);
  }

  async #byLiveCredential(username: string, password: string): Promise<AuthOutcome> {
    const read = this.live && readLiveCredential(password, this.live.key);
    if (!read || read.credential.registryId !== username)
      return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'invalid live-view credential' };
    return this.#liveSession(read.credential, read.credentialId);
  }

  /** A live-view session is allowed while the credential has not expired and its issuer may still act as the registry. */
  async #liveSession(credential: LiveCredential, credentialId: string): Promise<AuthOutcome> {
    if (credential.expiresAt.getTime() <= this.ctx.now().getTime()) {
      return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'live-view credential expired' };
    }
    const registry = await this.ctx.store.getRegistry(credential.registryId);
    if (!registry) return { result: 'NOT_AUTHORIZED', reason: 'registry no longer exists' };
    if (!(await this.live?.issuerHolds(credential.issuer, LIVE_VIEW_ROLE, registry.folder_id))) {
      return { result: 'NOT_AUTHORIZED', reason: `the live-view credential's issuer no longer holds ${LIVE_VIEW_ROLE}` };
    }
    const outcome = await this.describe('registry', registry.id, credentialId);
    if (outcome.result === 'OK') outcome.principal.expires_at_ms = credential.expiresAt.getTime();
    return outcome;
  }

  async #byCertificate(fingerprint: string): Promise<AuthOutcome> {
    const certificate = await this.ctx.store.findCertificate(fingerprint.toLowerCase());
    if (!certificate) return { result: 'NOT_AUTHORIZED', reason: 'unknown certificate' };
    return this.describe(certificate.owner_kind, certificate.owner_id, certificate.fingerprint);
  }

  /** Follows the revocation feed: a revoked entity's verified passwords are verified again. */
  cacheInvalidation(): RevocationHandler {
    return {
      revocation: (revocation) => this.#passwords.forget(revocation.entity_id),
      gap: () => this.#passwords.forgetAll(),
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
    const live = liveCredentialOfId(credentialId);
    if (live) {
      if (kind !== 'registry' || live.registryId !== id)
        return { result: 'NOT_AUTHORIZED', reason: 'not a live-view session of this registry' };
      return this.#liveSession(live, credentialId);
    }
    const password = await this.ctx.store.getPassword(credentialId);
    const owned = password
      ? password.owner_kind === kind && password.owner_id === id
      : await this.ctx.store
          .findCertificate(credentialId)
          .then((certificate) => certificate?.owner_kind === kind && certificate.owner_id === id);
    if (!owned) return { result: 'NOT_AUTHORIZED', reason: 'the credential of the session no longer exists' };
    return this.describe(kind, id, credentialId);
  }

  /** The principal an entity acts as, refused when it is gone or its registry is disabled. */
  async describe(kind: OwnerKind, id: string, credentialId: string): Promise<AuthOutcome> {
    const base = { kind, id, credential_id: credentialId, topic_aliases: {}, registry_aliases: [] };
    if (kind === 'broker') {
      const broker = await this.ctx.store.getBroker(id);
      if (!broker) return { result: 'NOT_AUTHORIZED', reason: 'broker no longer exists' };
      return {
        result: 'OK',
        principal: { ...base, registry_id: '', folder_id: broker.folder_id, log_policy: logPolicy(broker.log_options) },
      };
    }
    const device = kind === 'device' ? await this.ctx.store.getDevice(id) : undefined;
    const registryId = device ? device.registry_id : id;
    const registry = await this.ctx.store.getRegistry(registryId);
    if (!registry || (kind === 'device' && !device)) return { result: 'NOT_AUTHORIZED', reason: `${kind} no longer exists` };
    if (registry.status === 'DISABLED') return { result: 'NOT_AUTHORIZED', reason: `registry ${registry.id} is disabled` };
    const log_policy = logPolicy(registry.log_options);
    if (device) {
      return {
        result: 'OK',
        principal: { ...base, registry_id: registry.id, folder_id: registry.folder_id, topic_aliases: device.topic_aliases, log_policy },
      };
    }
    return {
      result: 'OK',
      principal: {
        ...base,
        registry_id: registry.id,
        folder_id: registry.folder_id,
        registry_aliases: await listRegistryAliases(this.ctx, registry.id),
        log_policy,
      },
    };
  }

  /** Whose log records a failed attempt on an existing entity: the device's registry, the registry, the broker. */
  async #logSubject(kind: OwnerKind, id: string): Promise<LogSubject | undefined> {
    if (kind === 'broker') {
      const broker = await this.ctx.store.getBroker(id);
      return broker && { kind, id, registry_id: '', log_policy: logPolicy(broker.log_options) };
    }
    const registryId = kind === 'device' ? (await this.ctx.store.getDevice(id))?.registry_id : id;
    const registry = registryId === undefined ? undefined : await this.ctx.store.getRegistry(registryId);
    return registry && { kind, id, registry_id: registry.id, log_policy: logPolicy(registry.log_options) };
  }
}

function logPolicy(options: LogOptionsRecord | undefined): LogPolicy {
  return options ? { disabled: options.disabled, min_level: options.min_level } : DEFAULT_LOG_POLICY;
}

async function findOwner(store: RegistryStore, id: string): Promise<{ kind: OwnerKind } | undefined> {
  if (await store.getDevice(id)) return { kind: 'device' };
  if (await store.getRegistry(id)) return { kind: 'registry' };
  if (await store.getBroker(id)) return { kind: 'broker' };
  return undefined;
}
