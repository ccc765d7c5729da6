// Yandex's billing unit, checked against packets mqtt-packet really encodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { billingUnits, packetBytes, publishBillingUnits, publishPacketBytes } from '../../services/edge/billing.js';

function encodedPublish(topic: string, payloadBytes: number, qos: 0 | 1): Buffer {
  const packet = {
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(payloadBytes),
    qos,
    dup: false,
    retain: false,
    messageId: qos ? 7 : undefined,
  };
  return mqttPacket.generate(packet as mqttPacket.IPublishPacket);
}

test("one billing message per started KiB, as Yandex's pricing examples count", () => {
  assert.equal(billingUnits(2), 1, 'a PINGREQ');
  assert.equal(billingUnits(800), 1);
  assert.equal(billingUnits(1024), 1);
  assert.equal(billingUnits(1025), 2);
  assert.equal(billingUnits(2800), 3);
});

test('packetBytes adds the fixed header to a remaining length at each size of the length field', () => {
  assert.equal(packetBytes(0), mqttPacket.generate({ cmd: 'pingreq' }).length);
  // A QoS 0 PUBLISH on topic "t" has a remaining length of 3 plus its payload.
  for (const remaining of [3, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
    assert.equal(packetBytes(remaining), encodedPublish('t', remaining - 3, 0).length, `remaining length ${remaining}`);
  }
});

test('the size of a PUBLISH sent to a client is what mqtt-packet encodes, for ASCII and multi-byte topics', () => {
  for (const topic of ['$devices/are0000000000000000001/events', 'температура/кухня', 'emoji/🌡️/x'.repeat(20)]) {
    for (const payloadBytes of [0, 100, 900, 1000, 1024, 2800, 16_400, 262_144]) {
      for (const qos of [0, 1] as const) {
        const encoded = encodedPublish(topic, payloadBytes, qos).length;
        assert.equal(publishPacketBytes(topic, payloadBytes, qos), encoded, `${topic} ${payloadBytes} QoS ${qos}`);
        assert.equal(publishBillingUnits(topic, payloadBytes, qos), billingUnits(encoded), `${topic} ${payloadBytes} QoS ${qos}`);
      }
    }
  }
});

test('the shortcut for small messages agrees with the exact count at the 1 KiB boundary', () => {
  const topics = ['a/b', 'ж'.repeat(40), '🌡️'.repeat(30)];
  for (const topic of topics) {
    for (let payloadBytes = 800; payloadBytes <= 1100; payloadBytes++) {
      for (const qos of [0, 1] as const) {
        const encoded = encodedPublish(topic, payloadBytes, qos).length;
        assert.equal(publishBillingUnits(topic, payloadBytes, qos), billingUnits(encoded), `${topic} ${payloadBytes} QoS ${qos}`);
      }
    }
  }
});
