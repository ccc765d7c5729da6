// Rules a registry or broker keeps on the registry service (data stream exports, triggers), as an
// edge needs them on every PUBLISH: learned from the registry link per source. An answer is used
// for at most `ttlMs` after it was asked for, so a change takes effect on every edge within that
// time: a source with steady traffic is asked again in the background once its answer is half that
// old, and its messages never wait; the first message after a quiet spell (or the first ever) waits
// for a fresh answer, and the messages behind it are handled after it, in arrival order (one fetch,
// handlers chained on it). The MQTT path waits for none of this: callers hand messages on
// asynchronously. A link that fails keeps the last answer for another `ttlMs`.
import type { Logger } from '../../common/logging.js';

interface Known<T> {
  rules: T[];
  /** Whether the link has answered once (until then messages wait for the first answer). */
  answered: boolean;
  /** When the answer held was asked for (or, after a failure, when the link failed). */
  fetchedAt: number;
  /** The answer being fetched, if any. */
  pending?: Promise<T[]>;
}

export class RefreshedRules<T> {
  readonly #known = new Map<string, Known<T>>();

  constructor(
    private readonly ttlMs: number,
    /** What the rules are, for the warning when the link fails ("data stream exports"). */
    private readonly what: string,
    private readonly logger: Logger,
    /** Asks the link for the rules of a source. */
    private readonly load: (source: string) => Promise<T[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `source` is known to have no rules: the answer for almost every PUBLISH, given without
   * building anything for the message.
   */
  none(source: string): boolean {
    const known = this.#fresh(source);
    return known !== undefined && known.rules.length === 0;
  }

  /** Hands `use` the rules of `source`: at once when its answer is fresh, else when the link answers. */
  with(source: string, use: (rules: T[]) => void): void {
    const known = this.#fresh(source);
    if (known) return use(known.rules);
    // Bounded in time by the link's deadline.
    const entry = this.#known.get(source);
    void (entry?.pending ?? this.#fetch(source, entry)).then(use);
  }

  /** The answer for `source` if it may still be used, asked for again in the background when half its time is gone. */
  #fresh(source: string): Known<T> | undefined {
    const known = this.#known.get(source);
    if (!known?.answered) return undefined;
    const age = this.now() - known.fetchedAt;
    if (age > this.ttlMs) return undefined;
    if (!known.pending && age > this.ttlMs / 2) this.#fetch(source, known);
    return known;
  }

  #fetch(source: string, previous: Known<T> | undefined): Promise<T[]> {
    const entry: Known<T> = previous ?? { rules: [], answered: false, fetchedAt: 0 };
    // Asked for now: the answer shows every change made before this moment.
    const askedAt = this.now();
    const pending = this.load(source).then(
      (rules) => {
        entry.rules = rules;
        entry.answered = true;
        entry.fetchedAt = askedAt;
        return rules;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, source }, `could not read the ${this.what} of ${source}; keeping the last known`);
        entry.answered = true;
        entry.fetchedAt = this.now();
        return entry.rules;
      },
    );
    entry.pending = pending;
    this.#known.set(source, entry);
    void pending.finally(() => {
      if (entry.pending === pending) entry.pending = undefined;
    });
    return pending;
  }
}
