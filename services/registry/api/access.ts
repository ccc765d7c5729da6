// Management API access: `authorization: Bearer <token>` resolved to a principal. Bootstrap admin
// tokens (configuration) are compared through SHA-256 digests so the time does not depend on the
// token; scoped tokens (`iotc_…`) are looked up by the SHA-256 of the secret.
//
// Lookups are cached per replica for TOKEN_CACHE_TTL_MS, misses included (a miss cannot turn into
// a hit later: a secret is unknown before Create returns it). So a revoked token stops working on
// every replica within that time without a feed between them; expiry is checked on every call
// against the cached record, so it takes effect at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import { status, type Metadata } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import type { RegistryStore } from '../store/contract.js';
import type { AccessTokenRecord } from '../store/records.js';
import { Principal, type Grant } from '../access/principal.js';
import { isTokenSecretShape, tokenHash } from '../access/token-secret.js';
import { ApiError } from './errors.js';

export const TOKEN_CACHE_TTL_MS = 1000;
const TOKEN_CACHE_ENTRIES = 10_000;

export interface AccessPolicy {
  /** The caller, or UNAUTHENTICATED (missing, unknown, expired or revoked token). */
  principal(metadata: Metadata): Promise<Principal>;
}

export function tokenAccess(options: { adminTokens: string[]; store: RegistryStore; now: () => Date }): AccessPolicy {
  const digests = options.adminTokens.map(digest);
  // `{ record: undefined }` remembers "no such token".
  const lookups = new LRUCache<string, { record?: AccessTokenRecord }>({ max: TOKEN_CACHE_ENTRIES, ttl: TOKEN_CACHE_TTL_MS });
  const lookup = async (hash: string): Promise<AccessTokenRecord | undefined> => {
    const cached = lookups.get(hash);
    if (cached) return cached.record;
    const record = await options.store.findAccessTokenByHash(hash);
    lookups.set(hash, { record });
    return record;
  };
  return {
    async principal(metadata) {
      const header = metadata.get('authorization')[0];
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw new ApiError(status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
      const token = match[1]!;
      const presented = digest(token);
      if (digests.some((known) => timingSafeEqual(known, presented))) return Principal.bootstrapAdmin();
      const record = isTokenSecretShape(token) ? await lookup(tokenHash(token)) : undefined;
      if (!record) throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
      if (record.expires_at && record.expires_at.getTime() <= options.now().getTime()) {
        throw new ApiError(status.UNAUTHENTICATED, `token ${record.id} expired at ${record.expires_at.toISOString()}`);
      }
      return Principal.scoped(record.id, record.grants as Grant[]);
    },
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
