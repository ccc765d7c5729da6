// The bus channel of a topic or filter: per registry, per broker, one for aedes' $SYS traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelOf } from '../../../services/edge/bus/redis-bus.js';

test('topics and filters map to their namespace channel', () => {
  assert.equal(channelOf('$iot/R1/devices/D1/events'), 'iotcore:$iot/R1');
  assert.equal(channelOf('$iot/R1/devices/+/events/#'), 'iotcore:$iot/R1', 'a wildcard filter needs no Redis pattern');
  assert.equal(channelOf('$broker/B1/any/#'), 'iotcore:$broker/B1');
  assert.equal(channelOf('$SYS/+/new/clients'), 'iotcore:$SYS');
});

test('a filter spanning namespaces is refused', () => {
  assert.throws(() => channelOf('$iot/+/devices/D1/events'), /no bus channel/);
  assert.throws(() => channelOf('#'), /no bus channel/);
  assert.throws(() => channelOf('plain/topic'), /no bus channel/);
});
