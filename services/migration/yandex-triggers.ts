// Yandex's IoT triggers (Cloud Functions' `yc serverless trigger list --format json`) as an import
// plan: iotcore cannot create them by itself — the action was a function or container iotcore does
// not have, so the user must supply the URL of an HTTP endpoint doing that work — so each one is
// reported with the `iotcore trigger create` command that recreates it and what is missing. Pure:
// it reads yc's JSON (proto field names, int64 as strings, durations as "10s") and prints nothing.

export interface TriggerPlan {
  id: string;
  name: string;
  /** `iot`: an IoTMessage/IoTBrokerMessage trigger; `other`: a trigger of another kind (timer, queue…), not iotcore's business. */
  kind: 'iot' | 'other';
  /** The command recreating it, `<URL>` to be replaced; iot triggers only. */
  command?: string;
  /** What the user must supply or decide. */
  needs: string[];
}

type Json = Record<string, unknown>;

export function planTrigger(json: unknown): TriggerPlan {
  const trigger = (json ?? {}) as Json;
  const id = String(trigger.id ?? '');
  const name = String(trigger.name ?? '');
  const rule = (trigger.rule ?? {}) as Json;
  const iot = (rule.iot_message ?? rule.iot_broker_message) as Json | undefined;
  if (!iot) {
    const ruleKind = Object.keys(rule)[0] ?? 'unknown';
    return { id, name, kind: 'other', needs: [`a ${ruleKind} trigger, not an IoT Core one: not imported`] };
  }
  const broker = rule.iot_broker_message !== undefined;
  const action = (iot.invoke_function ?? iot.invoke_container ?? iot.gateway_websocket_broadcast ?? {}) as Json;
  const batch = (iot.batch_settings ?? {}) as Json;
  const retry = (action.retry_settings ?? {}) as Json;
  const args = ['iotcore trigger create'];
  if (name) args.push(`--name ${quote(name)}`);
  args.push(broker ? `--broker-id ${quote(String(iot.broker_id ?? ''))}` : `--registry-id ${quote(String(iot.registry_id ?? ''))}`);
  if (!broker && iot.device_id) args.push(`--device-id ${quote(String(iot.device_id))}`);
  if (iot.mqtt_topic) args.push(`--mqtt-topic ${quote(String(iot.mqtt_topic))}`);
  if (batch.size !== undefined) args.push(`--batch-size ${Number(batch.size)}`);
  const cutoff = durationMs(batch.cutoff);
  if (cutoff !== undefined) args.push(`--batch-cutoff ${cutoff}ms`);
  if (retry.retry_attempts !== undefined) args.push(`--retry-attempts ${Number(retry.retry_attempts)}`);
  const interval = durationMs(retry.interval);
  if (interval !== undefined) args.push(`--retry-interval ${interval}ms`);
  args.push('--url <URL>');

  const needs = [`<URL>: an http(s) endpoint doing what ${describeAction(iot)} did (it receives the same JSON)`];
  const deadLetter = action.dead_letter_queue as Json | undefined;
  if (deadLetter?.queue_id)
    needs.push(
      `its dead-letter queue ${String(deadLetter.queue_id)} (Message Queue): add --dead-letter-mqtt-topic or --dead-letter-kafka-topic`,
    );
  if (trigger.status && trigger.status !== 'ACTIVE') needs.push(`it was ${String(trigger.status)} on Yandex`);
  return { id, name, kind: 'iot', command: args.join(' '), needs };
}

function describeAction(iot: Json): string {
  if (iot.invoke_function) {
    const fn = iot.invoke_function as Json;
    return `function ${String(fn.function_id ?? '?')}${fn.function_tag ? ` (${String(fn.function_tag)})` : ''}`;
  }
  if (iot.invoke_container) return `container ${String((iot.invoke_container as Json).container_id ?? '?')}`;
  if (iot.gateway_websocket_broadcast)
    return `the API Gateway WebSocket broadcast of ${String((iot.gateway_websocket_broadcast as Json).gateway_id ?? '?')}`;
  return 'its action';
}

/** yc's proto3 JSON duration (`"10s"`, `"1.500s"`) or `{seconds, nanos}` in milliseconds. */
function durationMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
    return match ? Math.round(Number(match[1]) * 1000) : undefined;
  }
  if (value && typeof value === 'object') {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    return Number(seconds ?? 0) * 1000 + Math.round(Number(nanos ?? 0) / 1e6);
  }
  return undefined;
}

/** Single-quoted for a POSIX shell (topics start with `$`). */
function quote(value: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
