// Yandex's size limits, shared by the MQTT edge and the management API (docs/yandex-behaviour.md).

/** A subtopic (what follows the fixed `$devices/<id>/events/` part) and a data-API topic. */
export const MAX_SUBTOPIC_LENGTH = 1024;
/** An MQTT topic: the subtopic plus the longest fixed part (`$registries/<50-character id>/commands/`). */
export const MAX_MQTT_TOPIC_LENGTH = MAX_SUBTOPIC_LENGTH + 64;
/** A message payload, over MQTT (the default of --max-message-bytes) and the data API. */
export const MAX_PAYLOAD_BYTES = 262_144;
