// Prometheus metrics of the triggers' delivery workers (prom-client's default registry, on /metrics).
// The edges' side (messages queued or dropped) is in edge/triggers/trigger-intake.ts.
import { Counter, Gauge, Histogram } from 'prom-client';

let shared: TriggerMetrics | undefined;

export class TriggerMetrics {
  readonly batches = new Counter({
    name: 'iotcore_trigger_batches_total',
    help: 'batches a trigger finished with: delivered (2xx), dead_letter (written to the dead letter), dropped (undeliverable, no dead letter or it failed)',
    labelNames: ['outcome'],
  });
  readonly delivered = new Counter({
    name: 'iotcore_trigger_messages_delivered_total',
    help: 'messages in batches an endpoint accepted with 2xx',
  });
  readonly failures = new Counter({
    name: 'iotcore_trigger_request_failures_total',
    help: 'requests that did not deliver their batch: http_429, http_5xx, http_4xx (permanent), http_other, timeout, connection',
    labelNames: ['reason'],
  });
  readonly retries = new Counter({
    name: 'iotcore_trigger_retries_total',
    help: 'requests sent again after a 429, a 5xx or no answer',
  });
  readonly deadLetters = new Counter({
    name: 'iotcore_trigger_dead_letters_total',
    help: 'undeliverable batches sent to a dead letter, by destination (mqtt, kafka) and outcome (written, failed)',
    labelNames: ['destination', 'outcome'],
  });
  readonly backlog = new Gauge({
    name: 'iotcore_trigger_backlog_messages',
    help: "messages in a trigger's delivery queue (waiting or being delivered)",
    labelNames: ['trigger'],
  });
  readonly requestSeconds = new Histogram({
    name: 'iotcore_trigger_request_duration_seconds',
    help: "time from sending a batch to a trigger's endpoint to its answer (or the timeout)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
}

export function triggerMetrics(): TriggerMetrics {
  shared ??= new TriggerMetrics();
  return shared;
}
