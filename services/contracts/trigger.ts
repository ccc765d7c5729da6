// The rules of triggers to HTTP, shared by the registry (validating a trigger), the edges (which
// messages a trigger takes) and the delivery workers (the request they send): pure functions, no I/O.
//
// Yandex's rules (spec §7.5): `IoTMessage` takes a registry's messages, optionally of one device
// and on one `mqtt_topic` (a topic, subtopic, wildcard filter or alias, never `$monitoring`);
// `IoTBrokerMessage` a broker's. Batches of 1–10 messages with a cutoff of 1–60 s (defaults 1, 1 s).
// The function received `{"messages": [{event_metadata, details}]}` with the payload in base64.
import { createHmac } from 'node:crypto';
import { filterMatches } from './topic-filter.js';

export const MAX_TRIGGER_BATCH_SIZE = 10;
export const MIN_CUTOFF_MS = 1_000;
export const MAX_CUTOFF_MS = 60_000;
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const MAX_RETRY_ATTEMPTS = 10;
export const DEFAULT_RETRY_INTERVAL_MS = 10_000;
export const MIN_RETRY_INTERVAL_MS = 100;
export const MAX_RETRY_INTERVAL_MS = 60_000;
/** The longest pause between two tries of a batch, however many retries are allowed. */
export const MAX_RETRY_DELAY_MS = 300_000;
export const MAX_TRIGGER_TOPIC_LENGTH = 1024;
export const MAX_URL_LENGTH = 2048;

/** The header carrying `sha256=<hex HMAC-SHA256 of the body under the trigger's secret>`. */
export const SIGNATURE_HEADER = 'x-iotcore-signature';

export const IOT_MESSAGE_EVENT = 'yandex.cloud.events.iot.IoTMessage';

export type TriggerSourceKind = 'registry' | 'broker';

/** What an edge needs of a trigger to pick its messages (the registry link's view of it). */
export interface TriggerRule {
  id: string;
  /** Registry triggers only: only this device's topics (`$devices/<id>/…`); empty = all. */
  device_id: string;
  /** A canonical MQTT filter (aliases already resolved); empty = every topic. */
  filter: string;
}

/** One message a trigger took, as queued for delivery (durably, before it is sent). */
export interface TriggerMessage {
  /** A UUID made when the message was taken: the same in every retry and every duplicate. */
  event_id: string;
  /** RFC 3339, when the edge accepted the message. */
  created_at: string;
  mqtt_topic: string;
  /** The sending device, or the device whose topic it is; empty otherwise (registries, brokers). */
  device_id: string;
  /** Base64. */
  payload: string;
}

/** Why `filter` (levels split by `/`) is not an MQTT filter, or undefined. */
export function mqttFilterError(filter: string): string | undefined {
  if (filter.length > MAX_TRIGGER_TOPIC_LENGTH) return `must be at most ${MAX_TRIGGER_TOPIC_LENGTH} characters`;
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1))
      return 'is not an MQTT filter: "#" must be the last level on its own';
    if (level.includes('+') && level !== '+') return 'is not an MQTT filter: "+" must occupy a whole level';
    if (level.includes('\0')) return 'is not an MQTT filter: NUL in a level';
  }
  return undefined;
}

/**
 * Why a registry trigger's canonical filter (after alias resolution) is not allowed, or undefined:
 * a filter under `$devices/` or this registry's `$registries/<id>/`, never `$monitoring`.
 */
export function registryFilterError(filter: string, registryId: string): string | undefined {
  const syntax = mqttFilterError(filter);
  if (syntax) return syntax;
  const [root, owner] = filter.split('/');
  if (root === '$monitoring') return 'cannot be a $monitoring topic (Yandex triggers never take them)';
  if (root !== '$devices' && root !== '$registries')
    return "must be a $devices/… or $registries/… topic or filter, or an alias of one of the registry's devices";
  if (owner === undefined || owner === '') return 'names no device or registry';
  if (root === '$registries' && owner !== '+' && owner !== '#' && owner !== registryId)
    return `names registry ${owner}, not the trigger's registry ${registryId}`;
  return undefined;
}

/** Why a broker trigger's filter is not allowed, or undefined: an MQTT filter of broker topics (no `$`). */
export function brokerFilterError(filter: string): string | undefined {
  const syntax = mqttFilterError(filter);
  if (syntax) return syntax;
  if (filter.startsWith('$')) return 'broker topics do not start with "$"';
  return undefined;
}

/**
 * The canonical filter an alias-based `mqtt_topic` stands for: the longest alias the topic starts
 * with, replaced by its canonical prefix (prefix substitution, as the edge does for publishes);
 * undefined when no alias applies. Resolved when the trigger is made: a later alias change is not
 * followed (README, "Getting data out").
 */
export function resolveAlias(topic: string, aliases: ReadonlyArray<{ alias: string; topic_prefix: string }>): string | undefined {
  let best: { alias: string; topic_prefix: string } | undefined;
  for (const candidate of aliases)
    if (topic.startsWith(candidate.alias) && candidate.alias.length > (best?.alias.length ?? -1)) best = candidate;
  return best && best.topic_prefix + topic.slice(best.alias.length);
}

/** Whether a registry trigger takes a message on canonical `topic` ($monitoring never). */
export function registryTriggerTakes(rule: TriggerRule, topic: string): boolean {
  const [root, owner] = topic.split('/', 2);
  if (root !== '$devices' && root !== '$registries') return false;
  if (rule.device_id && !(root === '$devices' && owner === rule.device_id)) return false;
  return rule.filter === '' || filterMatches(rule.filter, topic);
}

/** Whether a broker trigger takes a message on the broker's `topic`. */
export function brokerTriggerTakes(rule: TriggerRule, topic: string): boolean {
  return rule.filter === '' || filterMatches(rule.filter, topic);
}

/** The device a registry message is about: its sender, else the device of a `$devices/<id>/…` topic. */
export function messageDeviceId(senderDeviceId: string | undefined, topic: string): string {
  if (senderDeviceId) return senderDeviceId;
  const [root, owner] = topic.split('/', 2);
  return root === '$devices' && owner ? owner : '';
}

/** Why `url` cannot be a trigger's endpoint, or undefined. */
export function endpointUrlError(url: string): string | undefined {
  if (!url) return 'is required';
  if (url.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be http:// or https://, not ${parsed.protocol}//`;
  // Credentials in a URL end up in logs and listings; the bearer token is the place for them.
  if (parsed.username || parsed.password) return 'must not carry credentials (use the bearer token)';
  return undefined;
}

/** Where a trigger's undeliverable batches go. */
export type DeadLetterDestination = { kind: 'mqtt_topic'; value: string } | { kind: 'kafka_topic'; value: string };

/**
 * Why an MQTT dead-letter topic is not allowed, or undefined: a topic (no wildcards) the source
 * may publish on — `$registries/<id>/commands[/…]` for a registry, a broker topic for a broker —
 * and not one the trigger takes itself (it would take its own dead letters, forever).
 */
export function deadLetterTopicError(
  topic: string,
  source: { kind: TriggerSourceKind; id: string },
  rule: TriggerRule,
): string | undefined {
  if (!topic) return 'is required';
  if (topic.length > MAX_TRIGGER_TOPIC_LENGTH) return `must be at most ${MAX_TRIGGER_TOPIC_LENGTH} characters`;
  if (/[+#\0]/.test(topic)) return 'must be a topic, not a filter';
  if (source.kind === 'registry') {
    const prefix = `$registries/${source.id}/commands`;
    if (topic !== prefix && !topic.startsWith(`${prefix}/`)) return `must be ${prefix} or a subtopic of it (the registry publishes it)`;
    if (registryTriggerTakes(rule, topic)) return 'is a topic the trigger takes itself';
  } else {
    if (topic.startsWith('$')) return 'broker topics do not start with "$"';
    if (brokerTriggerTakes(rule, topic)) return 'is a topic the trigger takes itself';
  }
  return undefined;
}

/** The JSON body a Yandex Cloud Function received from an IoT Core trigger, for one batch. */
export function triggerRequestBody(
  trigger: { folder_id: string; source: { kind: TriggerSourceKind; id: string } },
  messages: readonly TriggerMessage[],
): string {
  const broker = trigger.source.kind === 'broker';
  return JSON.stringify({
    messages: messages.map((message) => ({
      event_metadata: {
        event_id: message.event_id,
        // Brokers' messages too: Yandex sends every IoT trigger's items as IoTMessage events (spec §7.5).
        event_type: IOT_MESSAGE_EVENT,
        created_at: message.created_at,
        folder_id: trigger.folder_id,
      },
      details: broker
        ? { broker_id: trigger.source.id, mqtt_topic: message.mqtt_topic, payload: message.payload }
        : { registry_id: trigger.source.id, device_id: message.device_id, mqtt_topic: message.mqtt_topic, payload: message.payload },
    })),
  });
}

/** The `X-Iotcore-Signature` value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a delivery attempt's outcome means: an HTTP status, or undefined when there was no answer. */
export function classifyResponse(statusCode: number | undefined): 'delivered' | 'retry' | 'permanent' {
  if (statusCode === undefined) return 'retry';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 429 || statusCode >= 500) return 'retry';
  return 'permanent';
}

/** The pause before retry `n` (1-based): interval × 2^(n−1), at most MAX_RETRY_DELAY_MS. */
export function retryDelayMs(intervalMs: number, n: number): number {
  return Math.min(intervalMs * 2 ** Math.max(0, n - 1), MAX_RETRY_DELAY_MS);
}
