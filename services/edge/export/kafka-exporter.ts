// Sends the backlog to Kafka, one batch at a time, at least once: a batch leaves the backlog only
// when Kafka acknowledged it, and one that failed is sent again after a pause (growing to
// MAX_RETRY_DELAY_MS) while new records keep queueing behind it (or are dropped when the backlog
// is full). offer() never waits, so MQTT never waits for Kafka.
// A batch that failed after Kafka had in fact written it is written again (the producer starts a
// new idempotence session after a failure): duplicates are possible only after a failure, never in
// normal operation.
import type { ExportRecord } from '../../contracts/data-stream-export.js';
import type { Logger } from '../../common/logging.js';
import type { ExportBacklog } from './export-backlog.js';
import type { ExportMetrics } from './export-metrics.js';
import type { ExportProducer } from './kafka-producer.js';

export const BATCH_RECORDS = 500;
const FIRST_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 5_000;

export class KafkaExporter {
  #running = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** When Kafka stopped acknowledging; undefined while it does. */
  #failingSince: number | undefined;
  /** The last record offered was dropped and Kafka has acknowledged nothing since: the backlog is full. */
  #full = false;

  constructor(
    private readonly producer: ExportProducer,
    private readonly backlog: ExportBacklog,
    private readonly metrics: ExportMetrics,
    private readonly logger: Logger,
  ) {}

  /** Queues one record for `stream` keyed by its device; never blocks. */
  offer(stream: string, record: ExportRecord): void {
    if (this.backlog.offer({ topic: stream, key: record.device_id, value: JSON.stringify(record) })) {
      this.metrics.backlog.set(this.backlog.length);
      this.#full = false;
      this.#wake?.();
    } else {
      this.#full = true;
      this.metrics.dropped.inc();
    }
  }

  /**
   * False while Kafka does not acknowledge or the backlog is full (records are being dropped):
   * /readyz's `kafka_export`, which only degrades, since MQTT goes on without Kafka.
   */
  delivering(): boolean {
    return this.#failingSince === undefined && !this.#full;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops sending; what Kafka has not acknowledged within `drainMs` stays unsent. */
  async stop(drainMs: number): Promise<void> {
    const deadline = Date.now() + drainMs;
    while (this.backlog.length > 0 && Date.now() < deadline) await sleep(50);
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.producer.close(true);
  }

  async #run(): Promise<void> {
    let retryDelay = FIRST_RETRY_DELAY_MS;
    while (this.#running) {
      const batch = this.backlog.head(BATCH_RECORDS);
      if (batch.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const stopTimer = this.metrics.produceSeconds.startTimer();
      try {
        await this.producer.send({ messages: batch });
        stopTimer();
        this.backlog.acknowledge(batch.length);
        this.metrics.delivered.inc(batch.length);
        this.metrics.backlog.set(this.backlog.length);
        this.#full = false;
        retryDelay = FIRST_RETRY_DELAY_MS;
        // Logged when Kafka stops acknowledging and when it is back, not on every retry.
        if (this.#failingSince !== undefined)
          this.logger.info(
            { failingMs: Date.now() - this.#failingSince, backlog: this.backlog.length },
            'Kafka acknowledges exported records again',
          );
        this.#failingSince = undefined;
      } catch (error) {
        this.metrics.failures.inc();
        if (this.#failingSince === undefined) {
          this.#failingSince = Date.now();
          this.logger.warn({ err: error, backlog: this.backlog.length }, 'Kafka did not acknowledge exported records; retrying');
        }
        await sleep(retryDelay);
        retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
