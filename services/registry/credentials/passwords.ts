// Passwords (docs/yandex-behaviour.md §1.7, §2.4): strength rule, and storage only as a salted scrypt hash whose
// parameters travel with it, so they can be raised later without invalidating stored hashes.
import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';
import { FieldError } from '../validation/field-error.js';

const MIN_LENGTH = 14;
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

export function assertPasswordStrength(field: string, password: string): void {
  const classes = CLASSES.filter((pattern) => pattern.test(password)).length;
  if (password.length < MIN_LENGTH || classes < 3) {
    throw new FieldError(
      field,
      `must be at least ${MIN_LENGTH} characters and use 3 of: lower-case letters, upper-case letters, digits, special characters`,
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (![cost.N, cost.r, cost.p].every(Number.isInteger)) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), cost, expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!';

/** 24 random characters that always satisfy the strength rule. */
export function generatePassword(): string {
  for (;;) {
    const password = Array.from({ length: 24 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    if (CLASSES.every((pattern) => pattern.test(password))) return password;
  }
}

/**
 * scrypt runs on libuv's worker pool, which LevelDB and file I/O share. A connect storm of
 * first-time devices would queue hundreds of hashes there and hold every database step behind
 * them: measured, no CONNACK at all until the last of 1000 hashes was done. Four at a time (what
 * the default pool ran) keeps the rate; `iotcore serve` doubles the pool so the rest never waits.
 */
const hashing = pLimit(4);

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, length = KEY_LENGTH): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return hashing(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
      ),
  );
}
