// What MQTT 3.1.1 forbids in a topic name (§4.7.3), checked by the edge on every PUBLISH and will
// and by the registry on a data-plane Publish before it reaches an edge.

/**
 * What mqtt-packet's decoder puts for bytes that are not UTF-8 (and for encoded UTF-16 surrogates),
 * which MQTT forbids in every string [MQTT-1.5.3-1]; a literal U+FFFD is refused with them.
 */
export const NOT_UTF8 = '\uFFFD';

/** What MQTT itself forbids in a topic name (not Yandex's limits): a client sending one breaks the protocol. */
export function malformedTopicNameError(topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic';
  if (topic.includes('\0')) return 'NUL in topic';
  if (topic.includes(NOT_UTF8)) return 'topic is not valid UTF-8';
  if (/[+#]/.test(topic)) return 'wildcards are not allowed in a topic name';
  return undefined;
}
