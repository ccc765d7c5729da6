// Prometheus metrics of the Data Streams export (prom-client's default registry, on /metrics).
import { Counter, Gauge, Histogram } from 'prom-client';

/** One set per process: exporters started in the same process (tests) add to the same series. */
let shared: ExportMetrics | undefined;

export class ExportMetrics {
  readonly delivered = new Counter({
    name: 'iotcore_export_records_delivered_total',
    help: 'records of data stream exports acknowledged by Kafka',
  });
  readonly dropped = new Counter({
    name: 'iotcore_export_records_dropped_total',
    help: 'records of data stream exports dropped because the backlog waiting for Kafka was full',
  });
  readonly failures = new Counter({
    name: 'iotcore_export_produce_failures_total',
    help: 'batches Kafka did not acknowledge (sent again after a pause)',
  });
  readonly backlog = new Gauge({
    name: 'iotcore_export_backlog_records',
    help: 'records of data stream exports waiting for Kafka',
  });
  readonly produceSeconds = new Histogram({
    name: 'iotcore_export_produce_duration_seconds',
    help: 'time from sending a batch to Kafka to its acknowledgement',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
}

export function exportMetrics(): ExportMetrics {
  shared ??= new ExportMetrics();
  return shared;
}
