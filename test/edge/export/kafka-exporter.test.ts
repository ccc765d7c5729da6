// The exporter against a real Kafka broker: every offered record arrives once as Yandex's JSON,
// keyed by device; a Kafka that goes away for seconds loses nothing and does not slow offer()
// (what MQTT calls); a backlog that fills up drops and counts instead of growing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { exportRecord } from '../../../services/contracts/data-stream-export.js';
import { ExportBacklog } from '../../../services/edge/export/export-backlog.js';
import { exportMetrics } from '../../../services/edge/export/export-metrics.js';
import { KafkaExporter } from '../../../services/edge/export/kafka-exporter.js';
import { createExportProducer } from '../../../services/edge/export/kafka-producer.js';
import { createTopic, readRecords } from '../../support/kafka-records.js';
import { type KafkaHandle, startKafka } from '../../support/servers.js';

let kafka: KafkaHandle;

before(async () => {
  kafka = await startKafka();
});

after(async () => {
  await kafka?.stop();
});

function startExporter(limits = { maxRecords: 100_000, maxBytes: 64 * 1024 * 1024 }) {
  const backlog = new ExportBacklog(limits);
  const exporter = new KafkaExporter(
    createExportProducer({ brokers: [kafka.bootstrap] }, 'iotcore-test-exporter'),
    backlog,
    exportMetrics(),
    pino({ level: 'silent' }),
  );
  exporter.start();
  return { exporter, backlog };
}

const values = (records: Array<{ value: string }>) => records.map((record) => JSON.parse(record.value) as Record<string, unknown>);

test('every offered record arrives once, as Yandex JSON keyed by device, a binary payload in base64', async () => {
  await createTopic(kafka.bootstrap, 'all-arrive');
  const { exporter } = startExporter();
  const total = 2_000;
  for (let n = 0; n < total; n++)
    exporter.offer('all-arrive', exportRecord(`dev${n % 7}`, `$devices/dev${n % 7}/events`, Buffer.from(`{"n":${n}}`)));
  exporter.offer('all-arrive', exportRecord('', '$registries/are1/commands', Buffer.from([0xff, 0xfe])));
  await exporter.stop(20_000);
  const records = await readRecords(kafka.bootstrap, 'all-arrive', total + 1);
  assert.equal(records.length, total + 1);
  const numbers = values(records.slice(0, total)).map((record) => JSON.parse(record.payload as string).n as number);
  assert.deepEqual(
    numbers,
    Array.from({ length: total }, (_, n) => n),
    'each once, in order',
  );
  assert.deepEqual(records[5]!.key, 'dev5');
  assert.deepEqual(values([records[5]!])[0], {
    device_id: 'dev5',
    mqtt_topic: '$devices/dev5/events',
    payload: '{"n":5}',
    is_base64: false,
  });
  assert.deepEqual(values([records[total]!])[0], {
    device_id: '',
    mqtt_topic: '$registries/are1/commands',
    payload: '//4=',
    is_base64: true,
  });
  await assert.rejects(readRecords(kafka.bootstrap, 'all-arrive', total + 2, 2_000), /2001 of 2002/, 'nothing twice');
});

test('Kafka away for seconds: offer() stays fast, nothing is lost once it is back', async () => {
  await createTopic(kafka.bootstrap, 'outage');
  const { exporter, backlog } = startExporter();
  const total = 3_000;
  let slowestOfferMs = 0;
  const offer = (n: number) => {
    const started = performance.now();
    exporter.offer('outage', exportRecord('dev1', '$devices/dev1/events', Buffer.from(String(n))));
    slowestOfferMs = Math.max(slowestOfferMs, performance.now() - started);
  };
  for (let n = 0; n < 1_000; n++) offer(n);
  kafka.kill('SIGKILL');
  for (let n = 1_000; n < 2_000; n++) {
    offer(n);
    if (n % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.ok(backlog.length > 0, 'records wait while Kafka is away');
  await kafka.restart();
  for (let n = 2_000; n < total; n++) offer(n);
  await exporter.stop(30_000);
  assert.equal(backlog.length, 0, 'the backlog drained');
  assert.ok(slowestOfferMs < 50, `slowest offer ${slowestOfferMs.toFixed(1)} ms`);
  const records = await readRecords(kafka.bootstrap, 'outage', total);
  const payloads = new Set(values(records).map((record) => record.payload));
  assert.equal(payloads.size, total, 'none lost');
});

test('a full backlog drops new records and counts them; what it held is exported', async () => {
  await createTopic(kafka.bootstrap, 'overflow');
  const { exporter, backlog } = startExporter({ maxRecords: 100, maxBytes: 1_000_000 });
  kafka.kill('SIGSTOP');
  try {
    for (let n = 0; n < 300; n++) exporter.offer('overflow', exportRecord('dev1', '$devices/dev1/events', Buffer.from(String(n))));
    assert.equal(backlog.dropped, 200);
  } finally {
    kafka.kill('SIGCONT');
  }
  await exporter.stop(30_000);
  const records = await readRecords(kafka.bootstrap, 'overflow', 100);
  assert.deepEqual(
    values(records).map((record) => Number(record.payload)),
    Array.from({ length: 100 }, (_, n) => n),
  );
});
