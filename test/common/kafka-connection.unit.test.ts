// `--kafka-brokers` parsing and how a Kafka connection becomes client options (no broker needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaClientOptions, parseKafkaBrokers } from '../../services/common/kafka.js';

test('--kafka-brokers takes host:port entries, IPv6 in brackets, and names the first bad one', () => {
  assert.deepEqual(parseKafkaBrokers(' kafka-1:9092, 10.0.0.2:9093,[::1]:9094 '), ['kafka-1:9092', '10.0.0.2:9093', '[::1]:9094']);
  for (const [value, error] of [
    ['', /no Kafka broker given/],
    ['kafka-1', /not a Kafka broker address \(host:port\): kafka-1/],
    ['kafka-1:9092,kafka-2:99999', /: kafka-2:99999/],
    ['kafka://kafka-1:9092', /: kafka:\/\/kafka-1:9092/],
    ['kafka-1:0', /: kafka-1:0/],
  ] as const)
    assert.throws(() => parseKafkaBrokers(value), error, value);
});

test('plaintext by default; TLS with an optional CA; SASL credentials passed through', () => {
  assert.deepEqual(kafkaClientOptions({ brokers: ['a:9092'] }), { bootstrapBrokers: ['a:9092'] });
  assert.deepEqual(kafkaClientOptions({ brokers: ['a:9093'], tls: {} }), { bootstrapBrokers: ['a:9093'], tls: {} });
  assert.deepEqual(
    kafkaClientOptions({
      brokers: ['a:9093'],
      tls: { ca: 'PEM' },
      sasl: { mechanism: 'PLAIN', username: 'exporter', password: 'key' },
    }),
    {
      bootstrapBrokers: ['a:9093'],
      tls: { ca: 'PEM' },
      sasl: { mechanism: 'PLAIN', username: 'exporter', password: 'key' },
    },
  );
});
