// Yandex's billing unit (docs/yandex-behaviour.md §7.2): CONNECT, PUBLISH in either direction,
// SUBSCRIBE and PINGREQ each count as one message per started kilobyte of the packet (800 bytes is
// one, 2,800 bytes three). iotcore bills nobody; it counts these units per registry and broker so a
// user can compare a month with Yandex's invoice and chart (iot.registry.billing_messages_per_second).

const UNIT_BYTES = 1024;

/** Billing messages for a packet of `bytes` bytes on the wire. */
export function billingUnits(bytes: number): number {
  return bytes <= UNIT_BYTES ? 1 : Math.ceil(bytes / UNIT_BYTES);
}

/** A whole packet's size from its remaining length (what mqtt-packet's parser reports as `length`). */
export function packetBytes(remainingLength: number): number {
  return 1 + lengthFieldBytes(remainingLength) + remainingLength;
}

/** The size of a PUBLISH sent to a client, without encoding it. */
export function publishPacketBytes(topic: string, payloadBytes: number, qos: number): number {
  return packetBytes(2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payloadBytes);
}

/**
 * Billing messages for a PUBLISH sent to a client. Almost every one is a single unit, told apart
 * without measuring the topic's UTF-8 length: at most 3 bytes a UTF-16 unit, plus 9 of headers.
 */
export function publishBillingUnits(topic: string, payloadBytes: number, qos: number): number {
  if (payloadBytes + 3 * topic.length + 9 <= UNIT_BYTES) return 1;
  return billingUnits(publishPacketBytes(topic, payloadBytes, qos));
}

/** The remaining length is 1 to 4 bytes, 7 bits each [MQTT-2.2.3]. */
function lengthFieldBytes(remainingLength: number): number {
  if (remainingLength < 128) return 1;
  if (remainingLength < 16_384) return 2;
  if (remainingLength < 2_097_152) return 3;
  return 4;
}
