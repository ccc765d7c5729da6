// `--kafka-brokers` and the other Kafka settings, and how a Kafka connection becomes client options
// (no broker needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaClientOptions, kafkaConnectionOf, parseKafkaBrokers } from '../../services/common/kafka.js';
import { resolveServeConfig } from '../../services/common/config.js';

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

test("serve's Kafka settings: none without --kafka-brokers; TLS and SASL by Kafka's security.protocol names", () => {
  const defaults = { kafkaSecurity: 'PLAINTEXT', kafkaSaslMechanism: 'PLAIN' } as const;
  assert.equal(kafkaConnectionOf(defaults), undefined);
  assert.deepEqual(kafkaConnectionOf({ ...defaults, kafkaBrokers: ['a:9092'] }), { brokers: ['a:9092'] });
  assert.deepEqual(kafkaConnectionOf({ ...defaults, kafkaBrokers: ['a:9093'], kafkaSecurity: 'SSL' }, 'PEM'), {
    brokers: ['a:9093'],
    tls: { ca: 'PEM' },
  });
  assert.deepEqual(
    kafkaConnectionOf({
      kafkaBrokers: ['a:9093'],
      kafkaSecurity: 'SASL_SSL',
      kafkaSaslMechanism: 'SCRAM-SHA-512',
      kafkaSaslUsername: 'u',
      kafkaSaslPassword: 'p',
    }),
    { brokers: ['a:9093'], tls: {}, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } },
  );
});

test('--kafka-security SASL_* without credentials and a bad --kafka-brokers are start-up errors naming the flag', () => {
  assert.throws(
    () => resolveServeConfig({ kafkaBrokers: 'a:9092', kafkaSecurity: 'SASL_SSL' }),
    /--kafka-security SASL_SSL needs --kafka-sasl-username and --kafka-sasl-password/,
  );
  assert.throws(() => resolveServeConfig({ kafkaBrokers: 'a' }), /--kafka-brokers \(IOTCORE_KAFKA_BROKERS\): not a Kafka broker address/);
  assert.deepEqual(resolveServeConfig({ kafkaBrokers: 'a:9092,b:9092' }).kafkaBrokers, ['a:9092', 'b:9092']);
});
