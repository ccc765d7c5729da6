// The short-lived bearer tokens IamTokenService.Create hands out. A token names where its rights
// come from (an authorized key, a scoped token, a bootstrap admin token) and when it expires, under
// an HMAC; it stores nothing, since the SDKs ask for a new one every 20 seconds or so. Each call
// with it looks its source up again (api/access.ts), so deleting the key or revoking the token
// ends it, and a service account's grants are read as they are now. `t1.` is the shape of
// Yandex's IAM tokens, which secret scanners already know.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ApiError } from '../api/errors.js';

export type IamTokenSource =
  /** An authorized key of a service account, by key ID. */
  | { kind: 'key'; id: string }
  /** A scoped API token, by token ID. */
  | { kind: 'token'; id: string }
  /** A bootstrap admin token, by the hex SHA-256 of it (the token itself would leak into the IAM token). */
  | { kind: 'admin'; id: string };

const PREFIX = 't1.';
const KINDS: ReadonlySet<string> = new Set(['key', 'token', 'admin']);

export function isIamTokenShape(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** The HMAC key, derived so the secret it comes from (shared by registry replicas) serves one purpose per derivation. */
export function iamTokenKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'iotcore iam token v1', 32));
}

export function signIamToken(source: IamTokenSource, expiresAt: Date, key: Buffer): string {
  const body = Buffer.from(JSON.stringify({ src: `${source.kind}:${source.id}`, exp: Math.floor(expiresAt.getTime() / 1000) })).toString(
    'base64url',
  );
  return `${PREFIX}${body}.${mac(body, key)}`;
}

/** The token's source, or UNAUTHENTICATED when it is forged, malformed or expired. */
export function readIamToken(token: string, key: Buffer, now: Date): { source: IamTokenSource; expiresAt: Date } {
  const [body, signature] = token.slice(PREFIX.length).split('.');
  const expected = body === undefined ? undefined : Buffer.from(mac(body, key));
  if (!expected || signature === undefined || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), expected)) {
    throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
  }
  const { src, exp } = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { src: string; exp: number };
  const separator = src.indexOf(':');
  const kind = src.slice(0, separator);
  if (!KINDS.has(kind)) throw new ApiError(status.UNAUTHENTICATED, 'invalid token');
  const expiresAt = new Date(exp * 1000);
  if (expiresAt.getTime() <= now.getTime()) throw new ApiError(status.UNAUTHENTICATED, `IAM token expired at ${expiresAt.toISOString()}`);
  return { source: { kind: kind as IamTokenSource['kind'], id: src.slice(separator + 1) }, expiresAt };
}

function mac(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
