// Hands the messages triggers take to the durable queue without ever making MQTT wait: offer()
// starts the append and returns. Appends in flight are bounded (a slow or absent queue store costs
// a known amount of memory); past the bound, or when a trigger's queue is full (its endpoint is
// slow or dead), the message is dropped and counted.
import { Counter } from 'prom-client';
import type { TriggerMessage } from '../../contracts/trigger.js';
import type { TriggerQueue } from '../../contracts/trigger-queue.js';
import type { Logger } from '../../common/logging.js';

export const MAX_PENDING_APPENDS = 10_000;

let sharedMetrics: TriggerIntakeMetrics | undefined;

export class TriggerIntakeMetrics {
  readonly queued = new Counter({
    name: 'iotcore_trigger_messages_queued_total',
    help: 'messages taken by a trigger and stored in its delivery queue',
  });
  readonly dropped = new Counter({
    name: 'iotcore_trigger_messages_dropped_total',
    help: "messages a trigger took but could not queue: queue_full (the trigger's backlog is at its bound), backpressure (too many appends in flight), queue_error (the queue store failed)",
    labelNames: ['reason'],
  });
}

export function triggerIntakeMetrics(): TriggerIntakeMetrics {
  sharedMetrics ??= new TriggerIntakeMetrics();
  return sharedMetrics;
}

export class TriggerIntake {
  #pending = 0;
  #lastErrorLog = 0;

  constructor(
    private readonly queue: TriggerQueue,
    private readonly logger: Logger,
    private readonly metrics: TriggerIntakeMetrics = triggerIntakeMetrics(),
    private readonly maxPending = MAX_PENDING_APPENDS,
  ) {}

  offer(triggerId: string, message: TriggerMessage): void {
    if (this.#pending >= this.maxPending) {
      this.metrics.dropped.inc({ reason: 'backpressure' });
      return;
    }
    this.#pending++;
    this.queue.append(triggerId, message).then(
      (stored) => {
        this.#pending--;
        if (stored) this.metrics.queued.inc();
        else this.metrics.dropped.inc({ reason: 'queue_full' });
      },
      (error: unknown) => {
        this.#pending--;
        this.metrics.dropped.inc({ reason: 'queue_error' });
        if (Date.now() - this.#lastErrorLog > 1000) this.logger.warn({ err: error, triggerId }, 'could not queue a message for a trigger');
        this.#lastErrorLog = Date.now();
      },
    );
  }

  /** Appends still in flight (for a stop that waits for them). */
  get pending(): number {
    return this.#pending;
  }
}
