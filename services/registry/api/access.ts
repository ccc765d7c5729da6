// Management API access: `authorization: Bearer <token>` resolved to a principal. Bootstrap admin
// tokens (configuration) are compared through SHA-256 digests so the time does not depend on the
// token; scoped tokens (`iotc_…`) are looked up by the SHA-256 of the secret; IAM tokens (`t1.…`,
// access/iam-token.ts) by the key or token they were made from.
//
// Lookups are cached per replica for TOKEN_CACHE_TTL_MS, misses included (a miss cannot turn into
// a hit later: a secret is unknown before Create returns it, an ID is never reused). So a revoked
// token or a deleted key stops working on every replica within that time without a feed between
// them; expiry is checked on every call against the cached record, so it takes effect at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import { status, type Metadata } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import type { RegistryStore } from '../store/contract.js';
import type { AccessTokenRecord } from '../store/records.js';
import { Principal, type Grant } from '../access/principal.js';
import { isTokenSecretShape, tokenHash } from '../access/token-secret.js';
import { isIamTokenShape, readIamToken, type IamTokenSource } from '../access/iam-token.js';
import { ApiError } from './errors.js';

export const TOKEN_CACHE_TTL_MS = 1000;
const TOKEN_CACHE_ENTRIES = 10_000;

export interface AccessPolicy {
  /** The caller, or UNAUTHENTICATED (missing, unknown, expired or revoked token). */
  principal(metadata: Metadata): Promise<Principal>;
  /** What an IAM token made from this API token stands for; UNAUTHENTICATED unless it is a valid API token. */
  iamTokenSource(token: string): Promise<IamTokenSource>;
  /**
   * The principal `Principal.name` names, with its grants as they are now; undefined once its token is
   * revoked or expired or its service account deleted (cached as token lookups are). For credentials
   * that act for a principal after the call that made them (live-view MQTT credentials).
   */
  principalByName(name: string): Promise<Principal | undefined>;
}

/** A source's rights as last read: how to make its principal, and until when it holds. */
interface Resolved {
  principal: () => Principal;
  expires_at?: Date;
}

export function tokenAccess(options: { adminTokens: string[]; store: RegistryStore; now: () => Date; iamTokenKey: Buffer }): AccessPolicy {
  const digests = options.adminTokens.map(digest);
  // `{ record: undefined }` remembers "no such token".
  const lookups = new LRUCache<string, { record?: AccessTokenRecord }>({ ...lazyCapacity(TOKEN_CACHE_ENTRIES), ttl: TOKEN_CACHE_TTL_MS });
  const lookup = async (hash: string): Promise<AccessTokenRecord | undefined> => {
    const cached = lookups.get(hash);
    if (cached) return cached.record;
    const record = await options.store.findAccessTokenByHash(hash);
    lookups.set(hash, { record });
    return record;
  };
  const sources = new LRUCache<string, { resolved?: Resolved }>({ ...lazyCapacity(TOKEN_CACHE_ENTRIES), ttl: TOKEN_CACHE_TTL_MS });
  const resolveSource = async (source: IamTokenSource): Promise<Resolved | undefined> => {
    const cacheKey = `${source.kind}:${source.id}`;
    const cached = sources.get(cacheKey);
    if (cached) return cached.resolved;
    const resolved = await readSource(options.store, digests, source);
    sources.set(cacheKey, { resolved });
    return resolved;
  };
  const scoped = (record: AccessTokenRecord): Principal => {
    assertNotExpired(`token ${record.id}`, record.expires_at, options.now());
    return Principal.scoped(record.id, record.grants as Grant[]);
  };
  const isAdmin = (token: string): boolean => {
    const presented = digest(token);
    return digests.some((known) => timingSafeEqual(known, presented));
  };

  return {
    async principal(metadata) {
      const header = metadata.get('authorization')[0];
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw new ApiError(status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
      const token = match[1]!;
      if (isAdmin(token)) return Principal.bootstrapAdmin();
      if (isIamTokenShape(token)) {
        const { source } = readIamToken(token, options.iamTokenKey, options.now());
        const resolved = await resolveSource(source);
        if (!resolved) throw new ApiError(status.UNAUTHENTICATED, `IAM token's ${source.kind} was revoked or deleted`);
        assertNotExpired(`IAM token's ${source.kind} ${source.id}`, resolved.expires_at, options.now());
        return resolved.principal();
      }
      const record = isTokenSecretShape(token) ? await lookup(tokenHash(token)) : undefined;
      if (!record) throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
      return scoped(record);
    },

    async principalByName(name) {
      if (name === Principal.bootstrapAdmin().name) return Principal.bootstrapAdmin();
      const separator = name.indexOf(':');
      const kind = name.slice(0, separator);
      const id = name.slice(separator + 1);
      if (kind !== 'token' && kind !== 'service-account') return undefined;
      const cacheKey = `${kind}:${id}`;
      let resolved = sources.get(cacheKey)?.resolved;
      if (!sources.has(cacheKey)) {
        resolved = kind === 'token' ? await readSource(options.store, digests, { kind, id }) : await readServiceAccount(options.store, id);
        sources.set(cacheKey, { resolved });
      }
      if (!resolved || (resolved.expires_at && resolved.expires_at.getTime() <= options.now().getTime())) return undefined;
      return resolved.principal();
    },

    async iamTokenSource(token) {
      if (isAdmin(token)) return { kind: 'admin', id: digest(token).toString('hex') };
      const record = isTokenSecretShape(token) ? await lookup(tokenHash(token)) : undefined;
      if (!record) throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
      assertNotExpired(`token ${record.id}`, record.expires_at, options.now());
      return { kind: 'token', id: record.id };
    },
  };
}

async function readSource(store: RegistryStore, adminDigests: Buffer[], source: IamTokenSource): Promise<Resolved | undefined> {
  switch (source.kind) {
    case 'admin':
      // Still one of the configured tokens: dropping it from the configuration ends its IAM tokens.
      return adminDigests.some((known) => known.toString('hex') === source.id) ? { principal: Principal.bootstrapAdmin } : undefined;
    case 'token': {
      const record = await store.getAccessToken(source.id);
      return record && { principal: () => Principal.scoped(record.id, record.grants as Grant[]), expires_at: record.expires_at };
    }
    case 'key': {
      const key = await store.getServiceAccountKey(source.id);
      const account = key && (await store.getServiceAccount(key.service_account_id));
      return account && { principal: () => Principal.serviceAccount(account.id, account.grants as Grant[]) };
    }
  }
}

async function readServiceAccount(store: RegistryStore, id: string): Promise<Resolved | undefined> {
  const account = await store.getServiceAccount(id);
  return account && { principal: () => Principal.serviceAccount(account.id, account.grants as Grant[]) };
}

function assertNotExpired(what: string, expiresAt: Date | undefined, now: Date): void {
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw new ApiError(status.UNAUTHENTICATED, `${what} expired at ${expiresAt.toISOString()}`);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
