// The delivery semantics of the export's Kafka producer (services/edge/export/kafka-producer.ts),
// against a real broker: what a resolved send guarantees, that a batch resent after a lost answer
// is not written twice, and that a Kafka that stays away hands the failure back instead of
// holding the send forever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createExportProducer, EXPORT_REQUEST_TIMEOUT_MS, type ExportProducer } from '../../../services/edge/export/kafka-producer.js';
import { createTopic, readRecords } from '../../support/kafka-records.js';
import { type KafkaHandle, startKafka } from '../../support/servers.js';

let kafka: KafkaHandle;

before(async () => {
  kafka = await startKafka();
});

after(async () => {
  await kafka?.stop();
});

async function withProducer<T>(work: (producer: ExportProducer) => Promise<T>): Promise<T> {
  const producer = createExportProducer({ brokers: [kafka.bootstrap] }, 'iotcore-test-export');
  try {
    return await work(producer);
  } finally {
    await producer.close(true);
  }
}

test('a resolved send is on the broker with acks=all, keyed by device, as an idempotent producer', async () => {
  await createTopic(kafka.bootstrap, 'acks');
  await withProducer(async (producer) => {
    const result = await producer.send({ messages: [{ topic: 'acks', key: 'device-1', value: '{"n":1}' }] });
    assert.deepEqual(result.offsets, [{ topic: 'acks', partition: 0, offset: 0n }]);
    // The broker gave it a producer ID: it is idempotent, for which the client forces acks=all
    // and one request in flight.
    assert.equal(typeof producer.producerId, 'bigint');
  });
  const [record] = await readRecords(kafka.bootstrap, 'acks', 1);
  assert.deepEqual([record!.key, record!.value], ['device-1', '{"n":1}']);
});

test('records sent across a broker freeze longer than the request timeout are written once each, in order', async () => {
  await createTopic(kafka.bootstrap, 'freeze');
  const total = 200;
  await withProducer(async (producer) => {
    for (let n = 0; n < total; n += 10) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ topic: 'freeze', key: 'device-1', value: String(n + i) }));
      if (n === 60) {
        // This batch goes unanswered past the request timeout; the client drops the connection
        // and sends it again, and the broker, once it runs again, reads both copies (a producer
        // that is not idempotent writes this batch twice here: checked when this test was written).
        kafka.kill('SIGSTOP');
        setTimeout(() => kafka.kill('SIGCONT'), EXPORT_REQUEST_TIMEOUT_MS + 3_000);
      }
      await producer.send({ messages });
    }
  });
  const records = await readRecords(kafka.bootstrap, 'freeze', total);
  await assert.rejects(readRecords(kafka.bootstrap, 'freeze', total + 1, 3_000), /200 of 201 records/, 'no record twice');
  assert.deepEqual(
    records.map((record) => Number(record.value)),
    Array.from({ length: total }, (_, n) => n),
  );
});

test('with the broker away the send fails within seconds, and a send after its return goes through', async () => {
  await createTopic(kafka.bootstrap, 'away');
  await withProducer(async (producer) => {
    await producer.send({ messages: [{ topic: 'away', key: 'device-1', value: 'before' }] });
    kafka.kill('SIGKILL');
    const started = Date.now();
    await assert.rejects(producer.send({ messages: [{ topic: 'away', key: 'device-1', value: 'lost' }] }));
    assert.ok(Date.now() - started < 15_000, `failed after ${Date.now() - started} ms`);
    await kafka.restart();
    await producer.send({ messages: [{ topic: 'away', key: 'device-1', value: 'after' }] });
  });
  const records = await readRecords(kafka.bootstrap, 'away', 2);
  assert.deepEqual(
    records.map((record) => record.value),
    ['before', 'after'],
  );
});
