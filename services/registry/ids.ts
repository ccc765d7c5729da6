// Resource IDs look like Yandex's (docs/yandex-behaviour.md §1.2): 20 characters, a 3-character installation prefix
// and 17 random characters of the base32hex alphabet.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const PREFIX = /^[a-z][a-z0-9]{2}$/;

export function createIdGenerator(prefix = 'are'): () => string {
  if (!PREFIX.test(prefix)) throw new Error(`ID prefix must be 3 characters [a-z][a-z0-9]{2}, got "${prefix}"`);
  return () => {
    const bytes = randomBytes(17);
    let id = prefix;
    for (const byte of bytes) id += ALPHABET[byte & 31];
    return id;
  };
}

export function isGeneratedIdShape(id: string): boolean {
  return /^[a-z][a-z0-9]{2}[0-9a-v]{17}$/.test(id);
}
