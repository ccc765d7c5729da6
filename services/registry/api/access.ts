// Management API access: `authorization: Bearer <token>` checked against the configured admin
// tokens. Comparison goes through SHA-256 digests so its time does not depend on the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { status, type Metadata } from '@grpc/grpc-js';
import { ApiError } from './errors.js';

export interface AccessPolicy {
  /** Throws UNAUTHENTICATED unless the call carries a valid bearer token. */
  check(metadata: Metadata): void;
}

export function bearerTokenAccess(tokens: string[]): AccessPolicy {
  const digests = tokens.map(digest);
  return {
    check(metadata) {
      const header = metadata.get('authorization')[0];
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw new ApiError(status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
      const presented = digest(match[1]!);
      if (!digests.some((known) => timingSafeEqual(known, presented))) {
        throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
      }
    },
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
