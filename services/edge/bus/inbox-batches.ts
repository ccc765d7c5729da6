// What one edge sends to each peer, gathered over one event-loop turn and appended to the peer's
// inbox as one stream entry (its records in one value, inbox-codec.ts; up to `maxBatch` messages)
// in one XADD:
// under load a few hundredths of a Redis command per message instead of one, and a quarter less
// CPU per cross-edge message (loadtest/results/scaling.md). Order per peer is kept: entries are
// appended in the order they were started, on one connection.

import { encodeEntry, SUBSCRIBERS_FIELD } from './inbox-codec.js';

/** Appends one entry (its records, encoded by `encodeEntry`) to `edge`'s inbox. */
export type AppendEntry = (edge: string, entry: Buffer) => Promise<unknown>;

type Done = (error?: Error) => void;

interface Batch {
  fields: string[];
  messages: Buffer[];
  done: Done[];
}

export class InboxBatches {
  readonly #outgoing = new Map<string, Batch>();
  #flushScheduled = false;

  constructor(
    private readonly append: AppendEntry,
    private readonly maxBatch = 100,
  ) {}

  /**
   * Queues an encoded message for `edge` under `field` (its subscribers by default; inbox-codec.ts
   * for the others); `done` once the entry holding it is in the inbox, or failed.
   */
  add(edge: string, message: Buffer, done: Done, field = SUBSCRIBERS_FIELD): void {
    let batch = this.#outgoing.get(edge);
    if (batch && batch.done.length >= this.maxBatch) {
      this.#send(edge, batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { fields: [], messages: [], done: [] };
      this.#outgoing.set(edge, batch);
    }
    batch.fields.push(field);
    batch.messages.push(message);
    batch.done.push(done);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends every batch now (the end of the turn, or closing). */
  flush(): void {
    this.#flushScheduled = false;
    for (const [edge, batch] of this.#outgoing) this.#send(edge, batch);
  }

  #send(edge: string, { fields, messages, done }: Batch): void {
    this.#outgoing.delete(edge);
    this.append(edge, encodeEntry(fields, messages)).then(
      () => done.forEach((callback) => callback()),
      (error: Error) => done.forEach((callback) => callback(error)),
    );
  }
}
