// Which filters a data stream export accepts and which streams can be Kafka topics: tables of cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFilterError, kafkaTopicError } from '../../services/contracts/data-stream-export.js';

const REGISTRY = 'are1234567890abcdefg';

test('export filters: empty or in the registry namespace, able to match events or commands', () => {
  const accepted = [
    '',
    '$devices/#',
    '$devices/+/events',
    '$devices/+/events/#',
    '$devices/dev1/commands/lamp',
    '$devices/+/+/x',
    `$registries/${REGISTRY}/events`,
    `$registries/${REGISTRY}/#`,
    '$registries/+/commands/#',
  ];
  for (const filter of accepted) assert.equal(exportFilterError(filter, REGISTRY), undefined, filter);
  const refused: Array<[string, RegExp]> = [
    ['#', /must start with \$devices\/ or \$registries\//],
    ['$monitoring/#', /must start with/],
    ['events/#', /must start with/],
    ['$devices/+/state', /matches no events or commands topic/],
    ['$devices/+/config/#', /matches no events or commands topic/],
    ['$devices/dev1', /matches no events or commands topic/],
    ['$devices/+/events#', /"#" must be the last level on its own/],
    ['$devices/#/events', /"#" must be the last level/],
    ['$devices/dev+/events', /"\+" must occupy a whole level/],
    ['$registries/are0000000000000000000/events', /names registry are0000000000000000000, not the export's registry/],
    [`$devices/+/events/${'x'.repeat(1024)}`, /at most 1024 characters/],
  ];
  for (const [filter, error] of refused) assert.match(exportFilterError(filter, REGISTRY) ?? 'accepted', error, filter);
});

test('a stream is used as the Kafka topic, so it must be a legal Kafka topic name', () => {
  for (const stream of ['iot-telemetry', 'a', 'fleet.events_v2', 'x'.repeat(249)]) assert.equal(kafkaTopicError(stream), undefined, stream);
  assert.equal(kafkaTopicError(''), 'is required');
  for (const stream of ['/ru-central1/b1g/etn/stream', 'with space', '.', '..', 'x'.repeat(250), 'тема'])
    assert.match(kafkaTopicError(stream) ?? 'accepted', /the Kafka topic the records go to/, stream);
});
