// Delivers one trigger's queue: takes up to `batch_size` messages (waiting up to the cutoff for the
// batch to fill), POSTs the Yandex JSON, and acknowledges the batch only once the endpoint answered
// 2xx or the batch went to the dead letter. While a batch is retried the trigger's queue waits
// behind it (order is kept; the queue's bound protects MQTT). A batch being retried is touched so
// that no other replica claims it meanwhile; one whose process dies is claimed (Redis) or taken
// again at start (LevelDB): at least once.
import { classifyResponse, retryDelayMs, SIGNATURE_HEADER, signBody, triggerRequestBody } from '../../contracts/trigger.js';
import type { QueuedTriggerMessage, TriggerQueue } from '../../contracts/trigger-queue.js';
import type { Logger } from '../../common/logging.js';
import type { TriggerRecord } from '../store/records.js';
import type { TriggerMetrics } from './trigger-metrics.js';
import type { WebhookClient, WebhookResult } from './webhook-client.js';

/** How often an unfilled batch looks for more messages. */
export const POLL_MS = 100;

/** Where undeliverable batches go; Kafka only when the process has --kafka-brokers. */
export interface DeadLetterSink {
  mqtt(source: TriggerRecord['source'], topic: string, body: string): Promise<void>;
  kafka?(topic: string, key: string, body: string): Promise<void>;
}

export interface DeliveryContext {
  queue: TriggerQueue;
  /** This process's name in the consumer group. */
  consumer: string;
  client: WebhookClient;
  deadLetters: DeadLetterSink;
  metrics: TriggerMetrics;
  logger: Logger;
  /** The claim time of the queue: a batch being retried is touched well within it. */
  claimIdleMs: number;
}

export class TriggerDelivery {
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly trigger: TriggerRecord,
    private readonly ctx: DeliveryContext,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) =>
      this.ctx.logger.error({ err: error, triggerId: this.trigger.id }, 'trigger delivery stopped'),
    );
  }

  /** Stops after the request in flight; a batch not finished stays in the queue for later. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { queue, logger } = this.ctx;
    while (this.#running) {
      let batch: QueuedTriggerMessage[];
      try {
        batch = await this.#collect();
      } catch (error) {
        logger.warn({ err: error, triggerId: this.trigger.id }, "could not read a trigger's queue; retrying");
        await this.#sleep(1_000);
        continue;
      }
      if (batch.length === 0) continue;
      const finished = await this.#deliver(batch);
      if (!finished) continue;
      try {
        await queue.ack(
          this.trigger.id,
          batch.map((entry) => entry.id),
        );
      } catch (error) {
        // Left pending: delivered again later (at least once).
        logger.warn({ err: error, triggerId: this.trigger.id }, 'could not acknowledge a delivered batch; it will be delivered again');
      }
      this.ctx.metrics.backlog.set({ trigger: this.trigger.id }, await queue.length(this.trigger.id).catch(() => 0));
    }
  }

  /** Up to batch_size entries: returns as soon as the batch is full, or the cutoff after its first entry. */
  async #collect(): Promise<QueuedTriggerMessage[]> {
    const { queue, consumer } = this.ctx;
    const batch: QueuedTriggerMessage[] = [];
    let deadline: number | undefined;
    let touched = Date.now();
    while (this.#running) {
      batch.push(...(await queue.take(this.trigger.id, consumer, this.trigger.batch_size - batch.length)));
      if (batch.length >= this.trigger.batch_size) return batch;
      if (batch.length > 0) deadline ??= Date.now() + this.trigger.batch_cutoff_ms;
      if (deadline !== undefined && Date.now() >= deadline) return batch;
      // A cutoff (up to 60 s) may outlast the claim time: keep what is taken from being claimed
      // again, by another replica or by this one's own next take.
      if (batch.length > 0 && Date.now() - touched >= this.ctx.claimIdleMs / 3) {
        await queue.touch(
          this.trigger.id,
          consumer,
          batch.map((entry) => entry.id),
        );
        touched = Date.now();
      }
      if (batch.length === 0) this.ctx.metrics.backlog.set({ trigger: this.trigger.id }, 0);
      await this.#sleep(deadline === undefined ? POLL_MS : Math.min(POLL_MS, deadline - Date.now()));
    }
    // Stopping: what was taken stays in the queue, unacknowledged.
    return [];
  }

  /** True when the batch is done with (delivered, dead-lettered or dropped); false when stopped midway. */
  async #deliver(batch: QueuedTriggerMessage[]): Promise<boolean> {
    const { trigger } = this;
    const { client, metrics, logger } = this.ctx;
    const body = triggerRequestBody(
      trigger,
      batch.map((entry) => entry.message),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'iotcore-trigger',
      [SIGNATURE_HEADER]: signBody(trigger.signing_secret, body),
      'x-iotcore-trigger-id': trigger.id,
    };
    if (trigger.bearer_token) headers.authorization = `Bearer ${trigger.bearer_token}`;
    let last: WebhookResult = {};
    for (let attempt = 0; attempt <= trigger.retry_attempts; attempt++) {
      if (attempt > 0) {
        metrics.retries.inc();
        await this.#sleepTouching(batch, retryDelayMs(trigger.retry_interval_ms, attempt));
        if (!this.#running) return false;
      }
      const stopTimer = metrics.requestSeconds.startTimer();
      last = await client.post(trigger.url, body, { ...headers, 'x-iotcore-attempt': String(attempt + 1) });
      stopTimer();
      const outcome = classifyResponse(last.status);
      if (outcome === 'delivered') {
        metrics.batches.inc({ outcome: 'delivered' });
        metrics.delivered.inc(batch.length);
        return true;
      }
      metrics.failures.inc({ reason: failureReason(last) });
      if (outcome === 'permanent') break;
    }
    const reason = last.status === undefined ? (last.failure ?? 'connection') : `HTTP ${last.status}`;
    logger.warn(
      { triggerId: trigger.id, messages: batch.length, reason },
      `trigger endpoint did not take a batch; ${trigger.dead_letter ? 'sending it to the dead letter' : 'dropping it (no dead letter)'}`,
    );
    await this.#deadLetter(body);
    return true;
  }

  async #deadLetter(body: string): Promise<void> {
    const { trigger } = this;
    const { deadLetters, metrics, logger } = this.ctx;
    const destination = trigger.dead_letter;
    if (!destination) {
      metrics.batches.inc({ outcome: 'dropped' });
      return;
    }
    const label = destination.kind === 'mqtt_topic' ? 'mqtt' : 'kafka';
    try {
      if (destination.kind === 'mqtt_topic') await deadLetters.mqtt(trigger.source, destination.value, body);
      else if (deadLetters.kafka) await deadLetters.kafka(destination.value, trigger.id, body);
      else throw new Error('no --kafka-brokers: this process cannot write to a Kafka dead letter');
      metrics.deadLetters.inc({ destination: label, outcome: 'written' });
      metrics.batches.inc({ outcome: 'dead_letter' });
    } catch (error) {
      // Dropped rather than retried for ever: the dead letter is the last resort, and counted.
      metrics.deadLetters.inc({ destination: label, outcome: 'failed' });
      metrics.batches.inc({ outcome: 'dropped' });
      logger.error({ err: error, triggerId: trigger.id, destination: label }, 'could not write a dead letter; the batch is dropped');
    }
  }

  /** Waits `ms`, touching the batch's entries so that no other consumer claims them meanwhile. */
  async #sleepTouching(batch: QueuedTriggerMessage[], ms: number): Promise<void> {
    const until = Date.now() + ms;
    const step = Math.max(100, Math.floor(this.ctx.claimIdleMs / 3));
    while (this.#running && Date.now() < until) {
      await this.#sleep(Math.min(step, until - Date.now()));
      await this.ctx.queue
        .touch(
          this.trigger.id,
          this.ctx.consumer,
          batch.map((entry) => entry.id),
        )
        .catch(() => undefined);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function failureReason(result: WebhookResult): string {
  if (result.status === undefined) return result.failure ?? 'connection';
  if (result.status === 429) return 'http_429';
  if (result.status >= 500) return 'http_5xx';
  if (result.status >= 400) return 'http_4xx';
  return 'http_other';
}
