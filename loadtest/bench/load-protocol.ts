// What the main thread and the load-generator threads say to each other, and the counters they
// share (deliveries expected vs received, errors) without messages.

export interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
  /** Filters subscribed right after CONNACK. */
  subscribe?: string[];
  /** Topics this client publishes to, in turn. */
  publishTo?: string[];
}

export interface WorkerSetup {
  url: string;
  ca: string;
  keepaliveSeconds: number;
  subscribeQos: 0 | 1;
  counters: SharedArrayBuffer;
}

export type WorkerCommand =
  | { op: 'connect'; clients: ClientSpec[]; concurrency: number }
  | {
      op: 'publish';
      qos: 0 | 1;
      /** Closed loop: most deliveries unanswered at once (ignored when `rate` > 0). */
      window: number;
      /** Open loop: messages per second from this thread. */
      rate: number;
      /** Messages one client may have in flight in the closed loop. */
      slotsPerClient: number;
      /** Deliveries one publish makes (subscribers matching it). */
      fanout: number;
      durationMs: number;
      payloadBytes: number;
    }
  | { op: 'measure'; recording: boolean; reset: boolean }
  | { op: 'disconnect' };

export type WorkerReply =
  | { op: 'connected'; connected: number; connectTimes: string }
  | { op: 'published'; sent: number }
  | { op: 'measured'; latency: string }
  | { op: 'disconnected' }
  | { op: 'failed'; message: string };

const SENT = 0;
const RECEIVED = 1;
const ERRORS = 2;

export class SharedCounters {
  readonly #cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT)) {
    this.#cells = new Int32Array(buffer);
  }

  sent(deliveries: number): void {
    Atomics.add(this.#cells, SENT, deliveries);
  }

  received(): void {
    Atomics.add(this.#cells, RECEIVED, 1);
  }

  error(): void {
    Atomics.add(this.#cells, ERRORS, 1);
  }

  /** Deliveries expected and not yet received. */
  outstanding(): number {
    return Atomics.load(this.#cells, SENT) - Atomics.load(this.#cells, RECEIVED);
  }

  snapshot(): { sent: number; received: number; errors: number } {
    return {
      sent: Atomics.load(this.#cells, SENT),
      received: Atomics.load(this.#cells, RECEIVED),
      errors: Atomics.load(this.#cells, ERRORS),
    };
  }

  reset(): void {
    for (const cell of [SENT, RECEIVED, ERRORS]) Atomics.store(this.#cells, cell, 0);
  }
}
