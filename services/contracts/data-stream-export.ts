// The Data Streams export's rules, shared by the registry (validating an export) and the edges
// (choosing and writing records): pure functions, no I/O.
//
// What Yandex exported (spec §7.6): the registry's `…/events` and `…/commands` topics (and, as we
// read it, their subtopics), never `state`/`config` or `$monitoring`, filtered by the export's
// `mqtt_topic_filter` (empty: all of them). Each record is JSON with `device_id` (empty when the
// registry sent the message), `mqtt_topic`, `payload` and `is_base64`.
//
// Mapping onto Kafka: `stream` is the Kafka topic, used as given (so it must be a legal Kafka topic
// name); `database` names Yandex's Data Streams database and is kept for round trips and imports,
// the Kafka cluster of `--kafka-brokers` standing in for it. The record key is the device ID, so one
// device's records stay in order on one partition.
import { filterMatches } from './topic-filter.js';

/** Yandex's protos: `mqtt_topic_filter` ≤ 1024, `database` and `stream` ≤ 512. */
export const MAX_EXPORT_FILTER_LENGTH = 1024;
export const MAX_EXPORT_DATABASE_LENGTH = 512;
/** Kafka's own limit on topic names (stricter than Yandex's 512 for a stream). */
export const MAX_KAFKA_TOPIC_LENGTH = 249;

const KAFKA_TOPIC = /^[a-zA-Z0-9._-]+$/;
const EXPORTED_KINDS = new Set(['events', 'commands']);

/** Why `stream` cannot be a Kafka topic, or undefined. */
export function kafkaTopicError(stream: string): string | undefined {
  if (stream.length === 0) return 'is required';
  if (stream.length > MAX_KAFKA_TOPIC_LENGTH || !KAFKA_TOPIC.test(stream) || stream === '.' || stream === '..')
    return `is the Kafka topic the records go to: 1-${MAX_KAFKA_TOPIC_LENGTH} characters of [a-zA-Z0-9._-], not "." or ".."`;
  return undefined;
}

/**
 * Why `filter` cannot select any exported topic of registry `registryId`, or undefined. Empty is
 * valid (everything). Otherwise an MQTT filter in the registry's namespace, `$devices/…` or
 * `$registries/<this registry>/…`, able to match an `events` or `commands` topic.
 */
export function exportFilterError(filter: string, registryId: string): string | undefined {
  if (filter === '') return undefined;
  if (filter.length > MAX_EXPORT_FILTER_LENGTH) return `must be at most ${MAX_EXPORT_FILTER_LENGTH} characters`;
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1))
      return 'is not an MQTT filter: "#" must be the last level on its own';
    if (level.includes('+') && level !== '+') return 'is not an MQTT filter: "+" must occupy a whole level';
    if (level.includes('\0')) return 'is not an MQTT filter: NUL in a level';
  }
  const [root, owner] = levels;
  if (root !== '$devices' && root !== '$registries')
    return 'must start with $devices/ or $registries/ (only events and commands of devices and registries are exported; empty = all of them)';
  if (root === '$registries' && owner !== undefined && owner !== '+' && owner !== '#' && owner !== registryId)
    return `names registry ${owner}, not the export's registry ${registryId}`;
  if (!canMatchExportedTopic(levels)) return 'matches no events or commands topic (only those are exported)';
  return undefined;
}

/** Whether a filter's levels can match `<root>/<id>/(events|commands)[/…]`. */
function canMatchExportedTopic(levels: string[]): boolean {
  for (const [index, level] of levels.entries()) {
    if (level === '#') return true;
    if (index === 2 && level !== '+' && !EXPORTED_KINDS.has(level)) return false;
  }
  return levels.length >= 3;
}

/** Whether a registry's message on `topic` is one Yandex exported: `…/events[/…]` or `…/commands[/…]`. */
export function isExportedTopic(topic: string): boolean {
  const [root, owner, kind] = topic.split('/', 3);
  return (root === '$devices' || root === '$registries') && !!owner && kind !== undefined && EXPORTED_KINDS.has(kind);
}

/** Whether an export with `filter` (already valid) takes the message on `topic`. */
export function exportTakes(filter: string, topic: string): boolean {
  return isExportedTopic(topic) && (filter === '' || filterMatches(filter, topic));
}

/** What an edge needs of an export to write records (the registry link's view of it). */
export interface RegistryExport {
  id: string;
  /** Empty: every events and commands topic. */
  mqtt_topic_filter: string;
  /** The Kafka topic. */
  stream: string;
}

/** One exported message as Yandex wrote it to the stream. */
export interface ExportRecord {
  /** The sending device; empty when the registry sent the message. */
  device_id: string;
  mqtt_topic: string;
  /** The payload as text, or base64 when it is not valid UTF-8. */
  payload: string;
  is_base64: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function exportRecord(deviceId: string, topic: string, payload: Uint8Array): ExportRecord {
  try {
    return { device_id: deviceId, mqtt_topic: topic, payload: strictUtf8.decode(payload), is_base64: false };
  } catch {
    return { device_id: deviceId, mqtt_topic: topic, payload: Buffer.from(payload).toString('base64'), is_base64: true };
  }
}
