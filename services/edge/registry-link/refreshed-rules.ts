// Rules a registry or broker keeps on the registry service (data stream exports, triggers), as an
// edge needs them on every PUBLISH: learned from the registry link per source and kept `ttlMs`,
// refreshed in the background, so a change takes effect on every edge within that time and a
// PUBLISH never waits for the link. A message arriving before the first answer for its source is
// handled once that answer is in (in arrival order: one fetch, handlers chained on it). A link that
// fails keeps the last answer and is asked again with the next message after `ttlMs`.
import type { Logger } from '../../common/logging.js';

interface Known<T> {
  rules: T[];
  /** Whether the link has answered once (until then messages wait for the first answer). */
  answered: boolean;
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
   * Whether `source` is known to have no rules (refreshed in the background when due): the answer
   * for almost every PUBLISH, given without building anything for the message.
   */
  none(source: string): boolean {
    const known = this.#known.get(source);
    if (!known?.answered || known.rules.length > 0) return false;
    this.#refreshIfDue(source, known);
    return true;
  }

  /** Hands `use` the rules of `source`: at once when known, else when the link first answers. */
  with(source: string, use: (rules: T[]) => void): void {
    const known = this.#known.get(source);
    if (known?.answered) {
      use(known.rules);
      this.#refreshIfDue(source, known);
      return;
    }
    // Bounded in time by the link's deadline.
    const pending = known?.pending ?? this.#fetch(source, known);
    void pending.then(use);
  }

  #refreshIfDue(source: string, known: Known<T>): void {
    if (!known.pending && this.now() - known.fetchedAt > this.ttlMs) this.#fetch(source, known);
  }

  #fetch(source: string, previous: Known<T> | undefined): Promise<T[]> {
    const entry: Known<T> = previous ?? { rules: [], answered: false, fetchedAt: 0 };
    const pending = this.load(source).then(
      (rules) => {
        entry.rules = rules;
        entry.answered = true;
        return rules;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, source }, `could not read the ${this.what} of ${source}; keeping the last known`);
        entry.answered = true;
        return entry.rules;
      },
    );
    entry.pending = pending;
    entry.fetchedAt = this.now();
    this.#known.set(source, entry);
    void pending.finally(() => {
      if (entry.pending === pending) entry.pending = undefined;
    });
    return pending;
  }
}
