// How certificates are named everywhere (Yandex's rule): lower-case hex SHA-1 of the DER encoding.
import { createHash } from 'node:crypto';

export function fingerprintOfDer(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}
