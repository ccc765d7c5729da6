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
    private readonly now: () => number = Date.now,
  ) {}

  /** Hands `use` the rules of `source`: at once when known, else when `load` first answers. */
  with(source: string, load: () => Promise<T[]>, use: (rules: T[]) => void): void {
    const known = this.#known.get(source);
    if (known?.answered) {
      use(known.rules);
      if (!known.pending && this.now() - known.fetchedAt > this.ttlMs) this.#fetch(source, load, known);
      return;
    }
    // Bounded in time by the link's deadline.
    const pending = known?.pending ?? this.#fetch(source, load, known);
    void pending.then(use);
  }

  #fetch(source: string, load: () => Promise<T[]>, previous: Known<T> | undefined): Promise<T[]> {
    const entry: Known<T> = previous ?? { rules: [], answered: false, fetchedAt: 0 };
    const pending = load().then(
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
