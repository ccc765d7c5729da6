// `iotcore trigger create|list|get|delete` (iotcore.triggers.v1): triggers that POST a registry's or
// broker's messages to an HTTP endpoint. Flags after `yc serverless trigger create internet-of-things`
// where there is one (--registry-id, --device-id, --mqtt-topic, --batch-size, --batch-cutoff,
// --retry-attempts, --retry-interval), with the endpoint in place of the function.
import { Command } from 'commander';
import { CreateTriggerRequest, CreateTriggerResponse, Trigger } from '../generated/iotcore/triggers/v1/triggers.js';
import { duration, positiveInteger } from './arguments.js';
import { withApi, type Options } from './command-runner.js';
import type { Api } from './connection.js';
import { printList, printResource } from './printing.js';
import { brokerId, registryId } from './resolve.js';

export function triggerCommands(): Command {
  const group = new Command('trigger').alias('triggers').description('manage triggers that POST messages to HTTP endpoints');

  group.addCommand(
    withApi(
      new Command('create')
        .description('create a trigger; its signing secret is printed once and cannot be shown again')
        .option('--name <name>', 'trigger name')
        .option('--description <text>', 'what the trigger is for')
        .option('--registry-id <id>', 'take the messages of this registry (IoTMessage)')
        .option('--registry-name <name>', 'registry name')
        .option('--broker-id <id>', 'take the messages of this broker (IoTBrokerMessage)')
        .option('--broker-name <name>', 'broker name')
        .option('--device-id <id>', "only this device's topics (registries)")
        .option('--mqtt-topic <topic>', 'a topic, an MQTT filter or an alias (default: every topic; never $monitoring)')
        .requiredOption('--url <url>', 'the http:// or https:// endpoint the batches are POSTed to')
        .option('--bearer-token <token>', 'sent as Authorization: Bearer <token>')
        .option('--batch-size <n>', 'messages per request, 1-10 (default 1)', positiveInteger)
        .option('--batch-cutoff <duration>', 'longest wait for a batch to fill, 1s-60s (default 1s)', duration)
        .option('--retry-attempts <n>', 'retries after a 429, 5xx or no answer, 0-10 (default 3)', nonNegativeInteger)
        .option('--retry-interval <duration>', 'pause before the first retry, doubling each time, 100ms-60s (default 10s)', duration)
        .option('--dead-letter-mqtt-topic <topic>', 'publish undeliverable batches here ($registries/<id>/commands/… or a broker topic)')
        .option('--dead-letter-kafka-topic <topic>', 'write undeliverable batches to this Kafka topic'),
      async (api, options) => {
        const response = await api.triggers.create(
          CreateTriggerRequest.fromPartial({
            name: (options.name as string | undefined) ?? '',
            description: (options.description as string | undefined) ?? '',
            rule: await ruleOf(api, options),
            batch_settings: {
              size: (options.batchSize as number | undefined) ?? 0,
              cutoff: options.batchCutoff === undefined ? undefined : protoDuration(options.batchCutoff as number),
            },
            retry_settings:
              options.retryAttempts === undefined && options.retryInterval === undefined
                ? undefined
                : {
                    retry_attempts: (options.retryAttempts as number | undefined) ?? 3,
                    interval: options.retryInterval === undefined ? undefined : protoDuration(options.retryInterval as number),
                  },
            http_endpoint: { url: options.url as string, bearer_token: (options.bearerToken as string | undefined) ?? '' },
            dead_letter: deadLetterOf(options),
          }),
        );
        printResource(CreateTriggerResponse, response, options.format);
      },
    ),
  );

  group.addCommand(
    withApi(new Command('list').description('list the triggers of --folder-id'), async (api, options) => {
      const { triggers } = await api.triggers.list({ folder_id: options.folderId });
      printList(Trigger, triggers, options.format, [
        ['ID', (trigger) => trigger.id],
        ['NAME', (trigger) => trigger.name],
        ['SOURCE', (trigger) => sourceOf(trigger)],
        ['MQTT TOPIC', (trigger) => trigger.rule?.value.mqtt_topic ?? ''],
        ['URL', (trigger) => trigger.http_endpoint?.url ?? ''],
        ['BATCH', (trigger) => `${trigger.batch_settings?.size ?? 1}/${trigger.batch_settings?.cutoff?.seconds ?? 1}s`],
      ]);
    }),
  );

  group.addCommand(
    withApi(
      new Command('get').description('show a trigger (never its secret or bearer token)').argument('<id>', 'trigger ID'),
      async (api, options, id) => {
        printResource(Trigger, await api.triggers.get({ trigger_id: id ?? '' }), options.format);
      },
    ),
  );

  group.addCommand(
    withApi(
      new Command('delete').description('delete a trigger and what it has not delivered yet').argument('<id>', 'trigger ID'),
      async (api, _options, id) => {
        await api.triggers.delete({ trigger_id: id ?? '' });
      },
    ),
  );
  return group;
}

async function ruleOf(api: Api, options: Options): Promise<CreateTriggerRequest['rule']> {
  const mqtt_topic = (options.mqttTopic as string | undefined) ?? '';
  if (options.brokerId !== undefined || options.brokerName !== undefined) {
    const id = await brokerId(api, options.folderId, {
      id: options.brokerId as string | undefined,
      name: options.brokerName as string | undefined,
    });
    return { $case: 'iot_broker_message', value: { broker_id: id, mqtt_topic } };
  }
  const id = await registryId(api, options.folderId, {
    id: options.registryId as string | undefined,
    name: options.registryName as string | undefined,
  });
  return { $case: 'iot_message', value: { registry_id: id, device_id: (options.deviceId as string | undefined) ?? '', mqtt_topic } };
}

function deadLetterOf(options: Options): CreateTriggerRequest['dead_letter'] {
  if (options.deadLetterMqttTopic !== undefined)
    return { destination: { $case: 'mqtt_topic', value: options.deadLetterMqttTopic as string } };
  if (options.deadLetterKafkaTopic !== undefined)
    return { destination: { $case: 'kafka_topic', value: options.deadLetterKafkaTopic as string } };
  return undefined;
}

function sourceOf(trigger: Trigger): string {
  if (trigger.rule?.$case === 'iot_broker_message') return `broker ${trigger.rule.value.broker_id}`;
  if (trigger.rule?.$case === 'iot_message')
    return `registry ${trigger.rule.value.registry_id}${trigger.rule.value.device_id ? ` device ${trigger.rule.value.device_id}` : ''}`;
  return '';
}

function protoDuration(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function nonNegativeInteger(value: string): number {
  return value === '0' ? 0 : positiveInteger(value);
}
