// Yandex's size limits, shared by the MQTT edge and the management API (docs/yandex-behaviour.md).

/** A subtopic (what follows the fixed `$devices/<id>/events/` part) and a data-API topic. */
export const MAX_SUBTOPIC_LENGTH = 1024;
/** An MQTT topic: the subtopic plus the longest fixed part (`$registries/<50-character id>/commands/`). */
export const MAX_MQTT_TOPIC_LENGTH = MAX_SUBTOPIC_LENGTH + 64;
/** A message payload, over MQTT (the default of --max-message-bytes) and the data API. */
export const MAX_PAYLOAD_BYTES = 262_144;

/**
 * The largest PUBLISH packet that carries a payload of `maxPayloadBytes` on the longest topic: the
 * fixed header (1 byte and up to 4 of remaining length), the topic (2-byte length and up to 4 UTF-8
 * bytes a character) and the packet identifier. Yandex's limit is on the message, not the packet, so
 * a 256 KiB payload must pass the packet-size guard.
 */
export function publishPacketBytesFor(maxPayloadBytes: number): number {
  return maxPayloadBytes + 1 + 4 + 2 + 4 * MAX_MQTT_TOPIC_LENGTH + 2;
}
