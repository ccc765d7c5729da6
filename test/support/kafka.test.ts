// The Kafka broker of the test infrastructure is real: it takes a record, hands it back to a
// consumer, and keeps it across a restart on the same port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startKafka } from './servers.js';
import { createTopic, readRecords } from './kafka-records.js';

test('a record produced to the test Kafka is consumed back, also after a restart', async () => {
  const kafka = await startKafka();
  try {
    await createTopic(kafka.bootstrap, 'infra');
    const producer = new Producer({ clientId: 'iotcore-test', bootstrapBrokers: [kafka.bootstrap], serializers: stringSerializers });
    try {
      await producer.send({ messages: [{ topic: 'infra', key: 'device-1', value: 'hello' }] });
    } finally {
      await producer.close();
    }
    const [record] = await readRecords(kafka.bootstrap, 'infra', 1);
    assert.deepEqual({ key: record!.key, value: record!.value, offset: record!.offset }, { key: 'device-1', value: 'hello', offset: 0n });
    await kafka.restart();
    const [again] = await readRecords(kafka.bootstrap, 'infra', 1);
    assert.equal(again!.value, 'hello');
  } finally {
    await kafka.stop();
  }
});
