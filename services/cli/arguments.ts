// Parsing of yc-style flag values shared by the command groups.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import { generatePassword } from '../registry/credentials/passwords.js';

/** `k1=v1,k2=v2` → { k1: 'v1', k2: 'v2' } (the form of yc's --labels and --topic-aliases). */
export function parseKeyValueList(flag: string, value: string | undefined): Record<string, string> {
  if (!value) return {};
  const entries = value
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator <= 0) throw new Error(`${flag}: expected KEY=VALUE[,KEY=VALUE…], got "${pair}"`);
      return [pair.slice(0, separator), pair.slice(separator + 1)] as const;
    });
  return Object.fromEntries(entries);
}

export function parseKeyList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
}

/** A commander argParser for counts such as --limit: a whole number ≥ 1, else a usage error. */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('Expected a whole number ≥ 1.');
  return Number(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A commander argParser for `500ms`, `30s`, `15m`, `24h`, `90d` (one number, one unit): milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+)(ms|[smhd])$/.exec(value);
  if (!match || Number(match[1]) === 0) throw new InvalidArgumentError('Expected a duration such as 500ms, 30s, 15m, 24h or 90d.');
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function readCertificateFiles(files: string[] | undefined): string[] {
  return (files ?? []).map((file) => readFileSync(file, 'utf8'));
}

export interface PasswordFlags {
  password?: string;
  readPassword?: boolean;
  generatePassword?: boolean;
}

/**
 * The password from --password, stdin (--read-password) or a generated one (--generate-password).
 * A generated password is shown once on stderr: it cannot be retrieved later.
 */
export function resolvePassword(flags: PasswordFlags): string | undefined {
  const chosen = [flags.password !== undefined, flags.readPassword, flags.generatePassword].filter(Boolean).length;
  if (chosen > 1) throw new Error('use only one of --password, --read-password, --generate-password');
  if (flags.readPassword) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (flags.generatePassword) {
    const password = generatePassword();
    process.stderr.write(`generated password (shown only once): ${password}\n`);
    return password;
  }
  return flags.password;
}

/**
 * yc asks for a password when no flag gives one: a line typed at the terminal (not echoed), or
 * standard input when it is not a terminal.
 */
export async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  process.stderr.write('Enter password: ');
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await terminal.question('');
  } finally {
    terminal.close();
    process.stderr.write('\n');
  }
}
