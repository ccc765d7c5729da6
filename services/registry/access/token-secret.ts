// Token secrets: `iotc_` and 32 random bytes in base64url. The prefix makes a leaked token easy to
// find (secret scanners, grep) and tells it apart from a bootstrap token without a lookup. The
// store keeps SHA-256 of the whole secret: a fast hash is enough because the secret has 256 bits
// of entropy, so unlike a password it cannot be guessed from its hash, and a slow hash (scrypt)
// would cost every API call tens of milliseconds of CPU for no gain.
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'iotc_';
const SHAPE = /^iotc_[A-Za-z0-9_-]{43}$/;

export function newTokenSecret(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function isTokenSecretShape(value: string): boolean {
  return SHAPE.test(value);
}

/** Lower-case hex SHA-256: what the store indexes. */
export function tokenHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
