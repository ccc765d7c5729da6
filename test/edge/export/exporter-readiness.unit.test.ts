// The exporter's part in /readyz (`kafka_export`, degrading only): delivering while Kafka
// acknowledges and the backlog has room; not while sends fail or the backlog is dropping records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { exportRecord } from '../../../services/contracts/data-stream-export.js';
import { ExportBacklog } from '../../../services/edge/export/export-backlog.js';
import { exportMetrics } from '../../../services/edge/export/export-metrics.js';
import { KafkaExporter } from '../../../services/edge/export/kafka-exporter.js';
import type { ExportProducer } from '../../../services/edge/export/kafka-producer.js';

/** A producer whose sends succeed while `kafkaUp`, and fail otherwise. */
function fakeKafka() {
  const kafka = { up: true, sent: 0 };
  const producer = {
    send: async ({ messages }: { messages: unknown[] }) => {
      if (!kafka.up) throw new Error('Kafka is away');
      kafka.sent += messages.length;
    },
    close: async () => {},
  } as unknown as ExportProducer;
  return { kafka, producer };
}

const record = (n: number) => exportRecord('dev1', '$devices/dev1/events', Buffer.from(String(n)));
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

test('delivering while Kafka acknowledges; not while it fails; again once it acknowledges', async () => {
  const { kafka, producer } = fakeKafka();
  const exporter = new KafkaExporter(
    producer,
    new ExportBacklog({ maxRecords: 100, maxBytes: 1_000_000 }),
    exportMetrics(),
    pino({ level: 'silent' }),
  );
  exporter.start();
  exporter.offer('s', record(1));
  await until(() => kafka.sent === 1);
  assert.equal(exporter.delivering(), true);
  kafka.up = false;
  exporter.offer('s', record(2));
  await until(() => !exporter.delivering());
  kafka.up = true;
  await until(() => kafka.sent === 2);
  assert.equal(exporter.delivering(), true);
  await exporter.stop(1_000);
});

test('not delivering while the backlog drops records; delivering again once Kafka makes room', async () => {
  const { kafka, producer } = fakeKafka();
  const exporter = new KafkaExporter(
    producer,
    new ExportBacklog({ maxRecords: 2, maxBytes: 1_000_000 }),
    exportMetrics(),
    pino({ level: 'silent' }),
  );
  // Not started: nothing leaves the backlog, as with a Kafka that does not answer yet.
  for (let n = 0; n < 3; n++) exporter.offer('s', record(n));
  assert.equal(exporter.delivering(), false, 'the third record was dropped');
  exporter.start();
  await until(() => kafka.sent === 2);
  assert.equal(exporter.delivering(), true);
  await exporter.stop(1_000);
});
