// Yandex's triggers as an import plan: the `iotcore trigger create` command for an IoT trigger,
// with what the user must supply; other kinds reported, never dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTrigger } from '../../services/migration/yandex-triggers.js';

test('an IoTMessage trigger becomes a command with its rule, batch and retry settings, and the URL to supply', () => {
  const plan = planTrigger({
    id: 'a1strigger0000000001',
    name: "pump's events",
    rule: {
      iot_message: {
        registry_id: 'areregistry000000001',
        device_id: 'aredevice00000000001',
        mqtt_topic: '$devices/aredevice00000000001/events/#',
        batch_settings: { size: '5', cutoff: '1.500s' },
        invoke_function: {
          function_id: 'd4efunction000000001',
          retry_settings: { retry_attempts: '2', interval: '30s' },
          dead_letter_queue: { queue_id: 'yrn:yc:ymq:ru-central1:b1g:dlq', service_account_id: 'aje' },
        },
      },
    },
    status: 'PAUSED',
  });
  assert.equal(plan.kind, 'iot');
  assert.equal(
    plan.command,
    "iotcore trigger create --name 'pump'\\''s events' --registry-id areregistry000000001 --device-id aredevice00000000001 " +
      "--mqtt-topic '$devices/aredevice00000000001/events/#' --batch-size 5 --batch-cutoff 1500ms --retry-attempts 2 --retry-interval 30000ms --url <URL>",
  );
  assert.deepEqual(plan.needs, [
    '<URL>: an http(s) endpoint doing what function d4efunction000000001 did (it receives the same JSON)',
    'its dead-letter queue yrn:yc:ymq:ru-central1:b1g:dlq (Message Queue): add --dead-letter-mqtt-topic or --dead-letter-kafka-topic',
    'it was PAUSED on Yandex',
  ]);
});

test('a broker trigger with a container; a trigger of another kind is reported as such', () => {
  const broker = planTrigger({
    id: 't2',
    rule: { iot_broker_message: { broker_id: 'a36broker00000000001', mqtt_topic: 'plant/#', invoke_container: { container_id: 'bba1' } } },
  });
  assert.equal(broker.command, "iotcore trigger create --broker-id a36broker00000000001 --mqtt-topic 'plant/#' --url <URL>");
  assert.match(broker.needs[0]!, /container bba1/);
  const timer = planTrigger({ id: 't3', name: 'nightly', rule: { timer: { cron_expression: '0 3 * * ? *' } } });
  assert.deepEqual(timer, { id: 't3', name: 'nightly', kind: 'other', needs: ['a timer trigger, not an IoT Core one: not imported'] });
});
