// The load generator seen from the main thread: clients spread over worker threads (so mqtt.js
// parsing is not the bottleneck of one event loop), closed-loop and paced publishing, and the
// merged HDR histograms of end-to-end latency and connect time.
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { SharedCounters, type ClientSpec, type WorkerCommand, type WorkerReply } from './load-protocol.js';

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface RunResult {
  /** Deliveries received by subscribers while measuring. */
  delivered: number;
  /** Deliveries per second received by subscribers while measuring. */
  deliveredPerSecond: number;
  /** End-to-end latency, milliseconds. */
  latencyMs: Percentiles;
  errors: number;
  /** Deliveries still missing a moment after publishing stopped (QoS 0 may drop under overload). */
  missing: number;
}

export type PublishSettings = Omit<Extract<WorkerCommand, { op: 'publish' }>, 'op' | 'durationMs' | 'rate'> & { rate?: number };

export class LoadGenerator {
  readonly counters = new SharedCounters();
  readonly #workers: Array<{ worker: Worker; endpoint: number; role: 'producer' | 'consumer' }> = [];
  readonly #publishers: number[] = [];
  readonly #pending = new Map<number, { resolve(reply: WorkerReply): void; reject(error: Error): void }>();
  #nextId = 0;

  private constructor() {}

  /**
   * For each of `urls` (the edges of a cluster): `producerThreads` threads for publishing clients
   * and `consumerThreads` for the others, so that receiving, which the latency figures measure,
   * never waits behind a burst of publishing in the same event loop.
   */
  static start(options: {
    urls: string[];
    ca: string;
    producerThreads: number;
    consumerThreads: number;
    keepaliveSeconds?: number;
    subscribeQos?: 0 | 1;
  }): LoadGenerator {
    const generator = new LoadGenerator();
    options.urls.forEach((url, endpoint) => {
      const roles = [...Array(options.producerThreads).fill('producer'), ...Array(options.consumerThreads).fill('consumer')] as Array<
        'producer' | 'consumer'
      >;
      for (const role of roles) {
        const worker = new Worker(new URL('./load-worker.js', import.meta.url), {
          workerData: {
            url,
            ca: options.ca,
            keepaliveSeconds: options.keepaliveSeconds ?? 60,
            subscribeQos: options.subscribeQos ?? 1,
            counters: generator.counters.buffer,
          },
        });
        generator.#listen(worker, generator.#workers.length);
        generator.#workers.push({ worker, endpoint, role });
        generator.#publishers.push(0);
      }
    });
    return generator;
  }

  /**
   * Connects the clients to one endpoint, `concurrency` at a time per thread: publishing clients on
   * its producer threads, the others on its consumer threads, or all over every thread (`spread`).
   */
  async connect(
    clients: ClientSpec[],
    concurrency: number,
    options: { endpoint?: number; spread?: boolean } = {},
  ): Promise<{ connected: number; seconds: number; connectMs: Percentiles }> {
    const endpoint = options.endpoint ?? 0;
    const threadsFor = (publishing: boolean) =>
      this.#workers.flatMap((worker, index) =>
        worker.endpoint === endpoint && (options.spread || (worker.role === 'producer') === publishing) ? [index] : [],
      );
    const shares = new Map<number, ClientSpec[]>();
    clients.forEach((client, i) => {
      const threads = threadsFor(Boolean(client.publishTo?.length));
      const thread = threads[i % threads.length]!;
      if (!shares.has(thread)) shares.set(thread, []);
      shares.get(thread)!.push(client);
    });
    for (const [index, share] of shares) this.#publishers[index]! += share.filter((client) => client.publishTo?.length).length;
    const errorsBefore = this.counters.snapshot().errors;
    const started = performance.now();
    const replies = await Promise.all(
      [...shares].map(([index, share]) => this.#ask(index, { op: 'connect', clients: share, concurrency })),
    );
    const seconds = (performance.now() - started) / 1000;
    const times = mergeHistograms(replies.map((reply) => (reply as Extract<WorkerReply, { op: 'connected' }>).connectTimes));
    const failed = this.counters.snapshot().errors - errorsBefore;
    return { connected: clients.length - failed, seconds, connectMs: percentiles(times) };
  }

  /** Publishes for `warmupMs + durationMs` and measures the last `durationMs`. */
  /** `window`, when given, is called as the measured part starts and as it ends (e.g. to read CPU time). */
  async run(
    settings: PublishSettings,
    warmupMs: number,
    durationMs: number,
    window?: { started(): Promise<void>; ended(): Promise<void> },
  ): Promise<RunResult> {
    this.counters.reset();
    await this.#all({ op: 'measure', recording: false, reset: true });
    const publishers = this.#publishers.reduce((sum, count) => sum + count, 0);
    const publishing = this.#workers.map((_, index) =>
      this.#ask(index, {
        op: 'publish',
        ...settings,
        rate: settings.rate ? (settings.rate * this.#publishers[index]!) / publishers : 0,
        durationMs: warmupMs + durationMs,
      }),
    );
    await sleep(warmupMs);
    await this.#all({ op: 'measure', recording: true, reset: true });
    await window?.started();
    const before = this.counters.snapshot();
    const started = performance.now();
    await sleep(durationMs);
    const after = this.counters.snapshot();
    const seconds = (performance.now() - started) / 1000;
    await window?.ended();
    const histograms = await this.#all({ op: 'measure', recording: false, reset: false });
    await Promise.all(publishing);
    const deadline = Date.now() + 10_000;
    while (this.counters.outstanding() > 0 && Date.now() < deadline) await sleep(50);
    return {
      delivered: after.received - before.received,
      deliveredPerSecond: (after.received - before.received) / seconds,
      latencyMs: percentiles(mergeHistograms(histograms.map((reply) => (reply as Extract<WorkerReply, { op: 'measured' }>).latency))),
      errors: this.counters.snapshot().errors,
      missing: Math.max(0, this.counters.outstanding()),
    };
  }

  async disconnect(): Promise<void> {
    await this.#all({ op: 'disconnect' });
    this.#publishers.fill(0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }

  #all(command: WorkerCommand): Promise<WorkerReply[]> {
    return Promise.all(this.#workers.map((_, index) => this.#ask(index, command)));
  }

  /** Sends a command to one thread; replies are matched by id (a publish and a measure overlap). */
  #ask(index: number, command: WorkerCommand): Promise<WorkerReply> {
    const { worker } = this.#workers[index]!;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...command, id });
    });
  }

  #listen(worker: Worker, index: number): void {
    worker.on('message', (reply: WorkerReply & { id: number }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.op === 'failed') pending?.reject(new Error(`load thread ${index}: ${reply.message}`));
      else pending?.resolve(reply);
    });
    worker.on('error', (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
  }
}

function mergeHistograms(encoded: string[]): hdr.Histogram {
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text));
  return merged;
}

/** Percentiles of a histogram of microseconds, in milliseconds. */
function percentiles(histogram: hdr.Histogram): Percentiles {
  const ms = (micros: number) => Math.round(micros) / 1000;
  if (histogram.totalCount === 0) return { p50: NaN, p99: NaN, p999: NaN, max: NaN };
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
