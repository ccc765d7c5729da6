// Which filters a data stream export accepts, which streams can be Kafka topics, which messages it
// takes and the records it writes: tables of cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFilterError, exportRecord, exportTakes, kafkaTopicError } from '../../services/contracts/data-stream-export.js';

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

test('exported topics: events and commands of devices and registries, subtopics included, through the filter', () => {
  const cases: Array<[filter: string, topic: string, taken: boolean]> = [
    ['', '$devices/d1/events', true],
    ['', '$devices/d1/events/temp/room1', true],
    ['', '$devices/d1/commands', true],
    ['', `$registries/${REGISTRY}/events`, true],
    ['', `$registries/${REGISTRY}/commands/lamp`, true],
    ['', '$devices/d1/state', false],
    ['', '$devices/d1/config', false],
    ['', '$monitoring/d1/json', false],
    ['', '$devices/d1/eventsx', false],
    ['$devices/+/events/#', '$devices/d1/events', true],
    ['$devices/+/events/#', '$devices/d1/events/a/b', true],
    ['$devices/+/events/#', '$devices/d1/commands', false],
    ['$devices/d1/events', '$devices/d1/events', true],
    ['$devices/d1/events', '$devices/d1/events/a', false],
    ['$devices/d1/events', '$devices/d2/events', false],
    ['$devices/#', '$devices/d1/state/x', false],
    ['$devices/#', '$devices/d1/commands/x', true],
  ];
  for (const [filter, topic, taken] of cases) assert.equal(exportTakes(filter, topic), taken, `${filter || '(empty)'} ← ${topic}`);
});

test('a record carries text payloads as they are and anything not valid UTF-8 as base64', () => {
  assert.deepEqual(exportRecord('d1', '$devices/d1/events', Buffer.from('{"t":21.5} °C')), {
    device_id: 'd1',
    mqtt_topic: '$devices/d1/events',
    payload: '{"t":21.5} °C',
    is_base64: false,
  });
  assert.deepEqual(exportRecord('', `$registries/${REGISTRY}/commands`, Buffer.from([0xff, 0x00, 0x80])), {
    device_id: '',
    mqtt_topic: `$registries/${REGISTRY}/commands`,
    payload: '/wCA',
    is_base64: true,
  });
  assert.equal(exportRecord('d1', '$devices/d1/events', new Uint8Array()).payload, '');
});
