// Failed attempts per key, bounded in memory with least-recently-used eviction (lru-cache), in
// two segments: keys still within their free failures, and keys past them (blocked, or a username
// being guessed). One-off failures only churn the first segment, so cycling through 100,000 junk
// usernames or addresses evicts none of the back-offs that matter; pushing a key out of the second
// segment takes as many other keys each past its own free failures.
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';

export interface BackoffPolicy {
  /** Failures before anything happens. */
  freeFailures: number;
  /** Whether a key past its free failures is refused for a back-off (else it is only counted). */
  blocks: boolean;
  /** Back-off after the first failure past the free ones, doubling with each further failure... */
  baseDelayMs: number;
  /** ...up to this. */
  maxDelayMs: number;
  /** A key without a failure for this long starts again from zero. */
  forgetAfterMs: number;
}

export interface FailureCount {
  failures: number;
  /** Epoch milliseconds; 0 when not blocked. */
  blockedUntil: number;
}

/** The back-off after `failures` failures (0 while they are free or the policy never blocks). */
export function backoffMs(policy: BackoffPolicy, failures: number): number {
  if (!policy.blocks || failures <= policy.freeFailures) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.freeFailures - 1));
}

export class FailureTable {
  readonly #free: LRUCache<string, FailureCount>;
  readonly #penalised: LRUCache<string, FailureCount>;

  constructor(
    readonly policy: BackoffPolicy,
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    // The policy's forgetting is the caches' time to live; writing an entry restarts it.
    const options = { ...lazyCapacity(maxEntries), ttl: policy.forgetAfterMs, ttlResolution: 0, perf: { now } };
    this.#free = new LRUCache(options);
    this.#penalised = new LRUCache(options);
  }

  /** When the key's back-off ends (epoch ms), or 0. */
  blockedUntil(key: string): number {
    const blockedUntil = this.#penalised.get(key)?.blockedUntil ?? 0;
    return blockedUntil > this.now() ? blockedUntil : 0;
  }

  /** Failures counted for the key within the window. */
  failures(key: string): number {
    return (this.#penalised.get(key) ?? this.#free.get(key))?.failures ?? 0;
  }

  /** Counts one more failure of the key and starts its back-off when the policy says so. */
  add(key: string): FailureCount {
    const previous = this.#penalised.get(key) ?? this.#free.get(key);
    const failures = (previous?.failures ?? 0) + 1;
    const delay = backoffMs(this.policy, failures);
    const count = { failures, blockedUntil: delay > 0 ? this.now() + delay : 0 };
    if (failures > this.policy.freeFailures) {
      this.#free.delete(key);
      this.#penalised.set(key, count);
    } else {
      this.#free.set(key, count);
    }
    return count;
  }

  /** Takes a count observed elsewhere (another edge, through Redis) when it is ahead of ours. */
  adopt(key: string, count: FailureCount): void {
    const local = this.#penalised.get(key) ?? this.#free.get(key);
    if (local && local.failures >= count.failures && local.blockedUntil >= count.blockedUntil) return;
    if (count.failures > this.policy.freeFailures) {
      this.#free.delete(key);
      this.#penalised.set(key, count);
    } else {
      this.#free.set(key, count);
    }
  }

  delete(key: string): void {
    this.#free.delete(key);
    this.#penalised.delete(key);
  }

  /** Entries held, per segment (for tests of the bound). */
  get size(): { free: number; penalised: number } {
    return { free: this.#free.size, penalised: this.#penalised.size };
  }
}
