// The JWT a service account presents to IamTokenService.Create, checked as Yandex documents it:
// PS256, signed with one of the account's authorized keys (header `kid`), `iss` the account,
// `aud` the IAM token URL, and at most an hour between `iat` and `exp`. Pure: the caller looks up
// the key named by `kid` (readServiceAccountJwt tells it which) and passes it in.
import { constants, createPublicKey, verify } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ApiError } from '../api/errors.js';

export const MAX_JWT_LIFETIME_SECONDS = 3600;
/** Clocks of client machines drift; an `iat` this far ahead of ours is still taken. */
const CLOCK_SKEW_SECONDS = 60;
/**
 * What the SDKs put in `aud`: `https://iam.api.cloud.yandex.net/iam/v1/tokens` (Node SDK, and the
 * Python SDK with its default endpoint) or `https://iam.<endpoint>/iam/v1/tokens` (the Python SDK
 * given `endpoint=`). The endpoint is whatever name the client dialled, which the server cannot
 * know, so any host fits; the path still keeps a JWT made for another audience out.
 */
const AUDIENCE = /^https:\/\/iam\.[^/\s]+\/iam\/v1\/tokens$/;

export interface ServiceAccountJwt {
  /** The key ID from the header: which public key to verify with. */
  kid: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export interface AuthorizedKey {
  id: string;
  service_account_id: string;
  /** SPKI PEM. */
  public_key: string;
}

export function readServiceAccountJwt(jwt: string): ServiceAccountJwt {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw unauthenticated('not a JWT (header.payload.signature)');
  const [header, claims] = parts.slice(0, 2).map((part) => decodeJson(part!));
  const kid = header!.kid;
  if (typeof kid !== 'string' || kid === '') throw unauthenticated('JWT header has no kid (the authorized key ID)');
  return { kid, header: header!, claims: claims!, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

/** Throws UNAUTHENTICATED saying what is wrong unless `jwt` is a valid token of `key`'s service account at `now`. */
export function verifyServiceAccountJwt(jwt: ServiceAccountJwt, key: AuthorizedKey, now: Date): void {
  if (jwt.header.alg !== 'PS256') throw unauthenticated(`JWT alg must be PS256, not ${String(jwt.header.alg)}`);
  if (jwt.kid !== key.id) throw unauthenticated(`JWT kid ${jwt.kid} is not key ${key.id}`);
  const signed = verify(
    'sha256',
    Buffer.from(jwt.signingInput),
    { key: createPublicKey(key.public_key), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
    jwt.signature,
  );
  if (!signed) throw unauthenticated(`JWT signature does not verify with key ${key.id}`);
  const { iss, aud, iat, exp } = jwt.claims;
  if (iss !== key.service_account_id) throw unauthenticated(`JWT iss must be service account ${key.service_account_id}`);
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((audience) => typeof audience === 'string' && AUDIENCE.test(audience))) {
    throw unauthenticated('JWT aud must be https://iam.api.cloud.yandex.net/iam/v1/tokens or https://iam.<endpoint>/iam/v1/tokens');
  }
  if (typeof iat !== 'number' || typeof exp !== 'number') throw unauthenticated('JWT needs numeric iat and exp');
  const seconds = now.getTime() / 1000;
  if (exp <= seconds) throw unauthenticated(`JWT expired at ${new Date(exp * 1000).toISOString()}`);
  if (iat > seconds + CLOCK_SKEW_SECONDS) throw unauthenticated('JWT iat is in the future');
  if (exp - iat > MAX_JWT_LIFETIME_SECONDS) throw unauthenticated(`JWT lifetime (exp - iat) is over ${MAX_JWT_LIFETIME_SECONDS} s`);
}

function decodeJson(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Falls through to the error below.
  }
  throw unauthenticated('JWT header or payload is not base64url JSON');
}

function unauthenticated(message: string): ApiError {
  return new ApiError(status.UNAUTHENTICATED, message);
}
