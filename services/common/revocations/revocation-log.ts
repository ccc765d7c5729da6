// An in-memory revocation feed with a bounded history, so a follower that lost contact (an edge
// whose gRPC stream broke) resumes from its cursor instead of missing what happened meanwhile.
// The all-in-one process writes it directly (`append`); a registry replica in a cluster fills it
// from the shared Redis feed (`mirror…`), keeping that feed's cursors, and serves it to its edges.
import { randomUUID } from 'node:crypto';
import Denque from 'denque';
import {
  followsDirectly,
  type FeedCursor,
  type Revocation,
  type RevocationHandler,
  type RevocationSource,
} from '../../contracts/revocations.js';

type Entry = { cursor: FeedCursor; revocation: Revocation } | { cursor: FeedCursor; gap: string };

/** Enough for a follower away for a while during a mass deletion; older ones get a gap (recheck). */
const DEFAULT_HISTORY = 10_000;

export class RevocationLog implements RevocationSource {
  readonly #history: Denque<Entry> = new Denque();
  readonly #followers = new Set<RevocationHandler>();
  readonly #maxHistory: number;
  #head: FeedCursor;
  #live: boolean;

  /** `live`: false for a mirror until its source reports ready. */
  constructor(options: { live?: boolean; history?: number } = {}) {
    this.#head = { epoch: randomUUID(), seq: 0 };
    this.#live = options.live ?? true;
    this.#maxHistory = options.history ?? DEFAULT_HISTORY;
  }

  get head(): FeedCursor {
    return this.#head;
  }

  /** Writes the next revocation of this log's own numbering. */
  append(revocation: Revocation): FeedCursor {
    const cursor = { epoch: this.#head.epoch, seq: this.#head.seq + 1 };
    this.mirror(revocation, cursor);
    return cursor;
  }

  /** Copies a revocation of another feed, keeping its cursor; a jump in its numbering is a gap. */
  mirror(revocation: Revocation, cursor: FeedCursor): void {
    if (!followsDirectly(this.#head, cursor))
      this.mirrorGap(`revocation ${cursor.epoch}/${cursor.seq} does not follow ${this.#head.epoch}/${this.#head.seq}`);
    this.#push({ cursor, revocation });
    for (const follower of this.#followers) follower.revocation(revocation, cursor);
  }

  /** The source lost revocations after the current head. */
  mirrorGap(reason: string): void {
    this.#push({ cursor: this.#head, gap: reason });
    for (const follower of this.#followers) follower.gap(reason);
  }

  /** The source is live again, up to `head`. */
  mirrorReady(head: FeedCursor): void {
    if (!sameCursor(head, this.#head)) {
      // Moving the head without entries is only safe before anything was mirrored or right after a gap.
      const last = this.#history.peekBack();
      if (last && !('gap' in last)) this.mirrorGap(`source resumed at ${head.epoch}/${head.seq}`);
      this.#head = head;
    }
    this.#live = true;
    for (const follower of this.#followers) follower.ready(head);
  }

  mirrorLost(): void {
    this.#live = false;
    for (const follower of this.#followers) follower.lost();
  }

  follow(after: FeedCursor | undefined, handler: RevocationHandler): () => void {
    if (after) this.#replay(after, handler);
    this.#followers.add(handler);
    if (this.#live) handler.ready(this.#head);
    return () => this.#followers.delete(handler);
  }

  #replay(after: FeedCursor, handler: RevocationHandler): void {
    if (sameCursor(after, this.#head)) return;
    const entries = this.#history.toArray();
    const start = entries.findIndex((entry) => 'revocation' in entry && sameCursor(entry.cursor, after));
    if (start < 0) return handler.gap(`position ${after.epoch}/${after.seq} is no longer in the feed's history`);
    for (const entry of entries.slice(start + 1)) {
      if ('gap' in entry) handler.gap(entry.gap);
      else handler.revocation(entry.revocation, entry.cursor);
    }
  }

  #push(entry: Entry): void {
    this.#history.push(entry);
    if (this.#history.length > this.#maxHistory) this.#history.shift();
    if ('revocation' in entry) this.#head = entry.cursor;
  }
}

function sameCursor(a: FeedCursor, b: FeedCursor): boolean {
  return a.epoch === b.epoch && a.seq === b.seq;
}
