// Brute-force brake for CONNECT. Failed attempts are counted per client address and per (address,
// username); past a few free failures, further attempts from that address — or from that address
// for that username — are refused without checking credentials, for a back-off that doubles per
// failure up to a cap. Nothing is ever refused by username alone: device IDs appear in topics, so
// a block on the ID would let anyone keep its owner offline with a wrong password a minute.
// Failures per username are still counted, to report a credential being guessed from many
// addresses (the registry hashes one password at a time per username, so that guessing is slowed
// without refusing the owner).
//
// In a cluster the counts live in Redis too (shared-auth-failures.ts), so spreading guesses over
// edges gains nothing. When Redis does not answer, the edge falls back to its own counters — it
// fails open: a Redis outage must not refuse every CONNECT, and the local brake still holds each
// address to its budget per edge.
import { hash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FailureTable, type BackoffPolicy, type FailureCount } from './failure-table.js';

export type ThrottleScope = 'address' | 'address_username';
type Table = ThrottleScope | 'username';

const FORGET_AFTER_MS = 15 * 60_000;
export const POLICIES: Record<Table, BackoffPolicy> = {
  // One address may front a whole fleet behind NAT: it gets more free failures than one credential.
  address: { freeFailures: 20, blocks: true, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: FORGET_AFTER_MS },
  address_username: { freeFailures: 5, blocks: true, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: FORGET_AFTER_MS },
  // Counted only: the failure after these makes the username count as being guessed.
  username: { freeFailures: 20, blocks: false, baseDelayMs: 0, maxDelayMs: 0, forgetAfterMs: FORGET_AFTER_MS },
};
/** Entries per table (and per segment of it); keys are at most ~60 bytes, see `keysOf`. */
const MAX_ENTRIES = 100_000;
/** Attempts of one (address, username) waiting for a turn; more are refused. */
const MAX_WAITING_PER_PAIR = 1000;

/** Failure counters the edges of a cluster share. */
export interface SharedFailureCounters {
  /** Adds one failure to each key under its policy; returns the shared counts, in order. */
  add(entries: Array<{ key: string; policy: BackoffPolicy }>): Promise<FailureCount[]>;
  /** Milliseconds left of each key's back-off (0: none), in order. */
  blockedFor(keys: string[]): Promise<number[]>;
  clear(key: string): Promise<void>;
}

export interface FailureOutcome {
  /** True once per forgetting window, on the failure that makes the username count as guessed. */
  usernameGuessed: boolean;
}

export class AuthThrottle {
  readonly #tables: Record<Table, FailureTable>;
  /** (address, username) → its attempts being checked right now, and those waiting for a turn. */
  readonly #checks = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(
    private readonly options: {
      now?: () => number;
      shared?: SharedFailureCounters;
      /** Redis failed; the local counters decided alone. */
      onSharedError?: (error: unknown) => void;
    } = {},
  ) {
    const now = options.now ?? Date.now;
    this.#tables = {
      address: new FailureTable(POLICIES.address, MAX_ENTRIES, now),
      address_username: new FailureTable(POLICIES.address_username, MAX_ENTRIES, now),
      username: new FailureTable(POLICIES.username, MAX_ENTRIES, now),
    };
  }

  /**
   * Why an attempt must be refused before its credentials are checked, or undefined: then its
   * check is under way until `failure`, `success` or `abandoned` is called for it.
   *
   * Guesses sent together would all pass the back-off check before the first of them fails, so an
   * address has no more checks of one username under way than it has free failures left (one once
   * they are used up). Later attempts wait for a turn and then see the back-off the earlier ones
   * earned: refusing them instead would refuse a backend's instances behind one NAT that connect
   * all at once with their registry's credential. Not limited per address, where a NATed fleet
   * reconnects all at once with many credentials.
   */
  async refusal(address: string, username: string): Promise<ThrottleScope | undefined> {
    const keys = pairKeysOf(address, username);
    const pair = keys.address_username;
    for (;;) {
      // Redis decides when it answers (a success on another edge may have ended a back-off we saw).
      const blocked = (await this.#sharedBlocks([keys.address, pair])) ?? [
        this.#tables.address.blockedUntil(keys.address),
        this.#tables.address_username.blockedUntil(pair),
      ];
      if (blocked[0] || blocked[1]) {
        // The next attempt waiting for a turn is refused by the same back-off: let it see so now.
        this.#wakeNext(pair);
        return blocked[0] ? 'address' : 'address_username';
      }
      let checks = this.#checks.get(pair);
      if (!checks) this.#checks.set(pair, (checks = { running: 0, waiting: [] }));
      if (checks.running < Math.max(1, POLICIES.address_username.freeFailures + 1 - this.#tables.address_username.failures(pair))) {
        checks.running++;
        return undefined;
      }
      if (checks.waiting.length >= MAX_WAITING_PER_PAIR) return 'address_username';
      await new Promise<void>((resolve) => checks.waiting.push(resolve));
    }
  }

  /** An admitted attempt whose credentials could not be checked (registry unreachable). */
  abandoned(address: string, username: string): void {
    this.#settle(pairKeysOf(address, username).address_username);
  }

  async failure(address: string, username: string): Promise<FailureOutcome> {
    const keys = keysOf(address, username);
    const tables = Object.keys(keys) as Table[];
    let counts = tables.map((table) => this.#tables[table].add(keys[table]));
    const shared = this.options.shared;
    if (shared) {
      try {
        counts = await shared.add(tables.map((table) => ({ key: keys[table], policy: POLICIES[table] })));
        tables.forEach((table, index) => this.#tables[table].adopt(keys[table], counts[index]!));
      } catch (error) {
        this.options.onSharedError?.(error);
      }
    }
    // Only now: attempts waiting for this one's turn must see the failure it counted.
    this.#settle(keys.address_username);
    return { usernameGuessed: counts[tables.indexOf('username')]!.failures === POLICIES.username.freeFailures + 1 };
  }

  /**
   * A correct credential ends the back-off of its (address, username) only: clearing the address
   * too would let one valid credential reset an address's count between guesses at others.
   */
  async success(address: string, username: string): Promise<void> {
    const key = pairKeysOf(address, username).address_username;
    this.#tables.address_username.delete(key);
    try {
      await this.options.shared?.clear(key);
    } catch (error) {
      this.options.onSharedError?.(error);
    }
    this.#settle(key);
  }

  /** Milliseconds left of each key's shared back-off; undefined without Redis or when it fails. */
  async #sharedBlocks(keys: string[]): Promise<number[] | undefined> {
    try {
      return await this.options.shared?.blockedFor(keys);
    } catch (error) {
      this.options.onSharedError?.(error);
      return undefined;
    }
  }

  /** One check of `pair` is over: the next attempt waiting for a turn looks again. */
  #settle(pair: string): void {
    const checks = this.#checks.get(pair);
    if (!checks) return;
    checks.running--;
    if (checks.running <= 0 && checks.waiting.length === 0) this.#checks.delete(pair);
    else this.#wakeNext(pair);
  }

  #wakeNext(pair: string): void {
    this.#checks.get(pair)?.waiting.shift()?.();
  }

  /** Entries held per table, for tests of the memory bound. */
  sizes(): Record<Table, { free: number; penalised: number }> {
    return {
      address: this.#tables.address.size,
      address_username: this.#tables.address_username.size,
      username: this.#tables.username.size,
    };
  }
}

/**
 * The table keys of an attempt. An MQTT username may be 65,535 bytes: it is kept as a digest, so
 * an entry costs the same whatever the client sends.
 */
function keysOf(clientAddress: string, username: string): Record<Table, string> {
  return { ...pairKeysOf(clientAddress, username), username: `u:${digest(username)}` };
}

/** The keys every attempt needs; the username's own only counts failures. */
function pairKeysOf(clientAddress: string, username: string): Pick<Record<Table, string>, ThrottleScope> {
  const address = addressKey(clientAddress);
  return { address: `a:${address}`, address_username: `p:${digest(`${address}\0${username}`)}` };
}

const digest = (text: string) => hash('sha256', text, 'base64url');

/**
 * The address the brake counts: an IPv4 client by itself (also when a dual-stack listener reports
 * it as ::ffff:a.b.c.d), an IPv6 client by its /64 — one subscriber's prefix, whose 2^64 addresses
 * would otherwise each get their own free failures.
 */
export function addressKey(address: string): string {
  // Nearly every client: answered without parsing (5 µs a call with ipaddr, twice per CONNECT).
  if (isIPv4(address)) return address;
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${parsed.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}
