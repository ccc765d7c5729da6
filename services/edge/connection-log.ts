// The edge's side of connection logs: each event is checked against its log's policy (LogOptions `disabled`,
// `min_level`) where it happens, so a filtered event costs nothing, and kept in a bounded buffer that a timer sends
// to the registry in batches. The MQTT path never waits for the store: when the store is slow or stalled the
// buffer fills and further events are dropped and counted (iotcore_log_events_dropped_total).
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_LOG_POLICY,
  keeps,
  sourceOf,
  type ConnectionEvent,
  type ConnectionLogEntry,
  type LogSubject,
} from '../contracts/connection-logs.js';

export interface ConnectionLogSettings {
  /** Entries waiting to be sent, at most; past it new ones are dropped. */
  capacity: number;
  /** Entries per call to the store. */
  batchSize: number;
  flushIntervalMs: number;
}

export const DEFAULT_CONNECTION_LOG_SETTINGS: ConnectionLogSettings = { capacity: 10_000, batchSize: 500, flushIntervalMs: 200 };

export interface ConnectionLogOptions extends ConnectionLogSettings {
  /** Stores a batch (the registry link's writeLogs). */
  sink(entries: ConnectionLogEntry[]): Promise<void>;
  onDropped(reason: 'buffer_full' | 'store_error', count: number): void;
  onWritten(count: number): void;
  onStoreError(error: unknown): void;
  now?: () => Date;
}

/** Whose log an event goes to: a principal, or the subject the registry named for a failed CONNECT. */
export type LogOwner = Pick<LogSubject, 'kind' | 'id' | 'registry_id'> & { log_policy?: LogSubject['log_policy'] };

export class ConnectionLog {
  readonly #options: ConnectionLogOptions;
  #buffer: ConnectionLogEntry[] = [];
  #sending: Promise<void> | undefined;
  #timer: NodeJS.Timeout;
  // Entries are ordered by time, then uid: this edge's uids sort in the order it recorded them.
  readonly #uidPrefix = randomBytes(6).toString('base64url');
  #sequence = 0;

  constructor(options: ConnectionLogOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Records an event unless its log's policy filters it out; never blocks, never throws. */
  record(
    owner: LogOwner | undefined,
    level: number,
    event: ConnectionEvent,
    message: string,
    payload: Record<string, string | undefined>,
  ): void {
    if (!owner || !keeps(owner.log_policy ?? DEFAULT_LOG_POLICY, level)) return;
    if (this.#buffer.length >= this.#options.capacity) {
      this.#options.onDropped('buffer_full', 1);
      return;
    }
    this.#buffer.push({
      uid: `${this.#uidPrefix}${(this.#sequence++).toString(36).padStart(11, '0')}`,
      timestamp: this.#options.now?.() ?? new Date(),
      level,
      event,
      message,
      ...sourceOf(owner),
      payload: Object.fromEntries(
        Object.entries(payload).filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== ''),
      ),
    });
  }

  /** Entries waiting to be sent. */
  pending(): number {
    return this.#buffer.length;
  }

  /** Sends what is buffered, one batch at a time; while a batch is in flight, a call returns that one. */
  flush(): Promise<void> {
    this.#sending ??= this.#sendAll().finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  async #sendAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#options.batchSize);
      try {
        await this.#options.sink(batch);
        this.#options.onWritten(batch.length);
      } catch (error) {
        this.#options.onDropped('store_error', batch.length);
        this.#options.onStoreError(error);
        return;
      }
    }
  }

  /** Stops the timer and sends what is left, waiting at most `timeoutMs` (the store may be the reason we stop). */
  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
