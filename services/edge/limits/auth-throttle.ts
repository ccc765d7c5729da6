// Brute-force brake for CONNECT: failures are counted per client IP and per username; after a few,
// further attempts are refused for a back-off that doubles per failure up to a cap and is cleared
// by a success, so an attacker is slowed while the legitimate owner is never locked out for long.
const FREE_FAILURES = 5;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
const MAX_ENTRIES = 100_000;
/** Failures older than this are forgotten. */
const FORGET_AFTER_MS = 15 * 60_000;

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class AuthThrottle {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether an attempt from this address/username must be refused without checking credentials. */
  isBlocked(keys: string[]): boolean {
    const now = this.now();
    return keys.some((key) => (this.#entries.get(key)?.blockedUntil ?? 0) > now);
  }

  failure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const previous = this.#entries.get(key);
      const entry = previous && now - previous.lastFailure < FORGET_AFTER_MS ? previous : { failures: 0, blockedUntil: 0, lastFailure: now };
      entry.failures++;
      entry.lastFailure = now;
      if (entry.failures > FREE_FAILURES) {
        const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (entry.failures - FREE_FAILURES - 1));
        entry.blockedUntil = now + delay;
      }
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, entry);
    }
  }

  success(keys: string[]): void {
    for (const key of keys) this.#entries.delete(key);
  }
}
