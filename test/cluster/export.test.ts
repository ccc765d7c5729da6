// The Data Streams export in a cluster (#15): every edge exports what its own clients publish, with
// the exports it learns from the registry service, and the registry replica what the data-plane
// API publishes; one Kafka topic gets every event once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startCluster } from './harness.js';
import { startKafka } from '../support/servers.js';
import { createTopic, readRecords } from '../support/kafka-records.js';

const REGISTRY_PASSWORD = 'Export-Registry-Pass1';
const DEVICE_PASSWORD = 'Export-Device-Pass1!';
const PER_EDGE = 500;

test('2 edges and a registry replica export to one Kafka topic: every event once, from whichever edge', { timeout: 240_000 }, async (t) => {
  const kafka = await startKafka();
  t.after(() => kafka.stop());
  await createTopic(kafka.bootstrap, 'fleet-events', 2);
  const kafkaArgs = ['--kafka-brokers', kafka.bootstrap];
  const cluster = await startCluster({ edges: 2, edgeArgs: [...kafkaArgs, '--device-publish-rate', '0'], registryArgs: kafkaArgs });
  const clients: MqttClient[] = [];
  t.after(async () => {
    clients.forEach((client) => client.end(true));
    await cluster.close();
  });
  const registryId = await cluster.api.createRegistry('exported', REGISTRY_PASSWORD);
  const devices: Array<{ id: string; client: MqttClient }> = [];
  for (let edge = 0; edge < 2; edge++) {
    const id = await cluster.api.createDevice(registryId, `sensor-${edge}`, DEVICE_PASSWORD);
    const client = await cluster.connect(edge, { username: id, password: DEVICE_PASSWORD, clientId: `sensor-${edge}` });
    clients.push(client);
    devices.push({ id, client });
  }
  await cluster.api.registries.addDataStreamExport({
    name: 'to-kafka',
    registry_id: registryId,
    mqtt_topic_filter: '$devices/#',
    database: 'db',
    stream: 'fleet-events',
    service_account_id: '',
  });
  // An export added takes effect on every edge within 5 s (README).
  await new Promise((resolve) => setTimeout(resolve, 5_500));

  await Promise.all(
    devices.map(async ({ id, client }) => {
      for (let n = 0; n < PER_EDGE; n += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => client.publishAsync(`$devices/${id}/events/reading`, `${id}:${n + i}`, { qos: 1 })),
        );
      // Not exported: state.
      await client.publishAsync(`$devices/${id}/state`, 'ignored', { qos: 1 });
    }),
  );
  // A command through the data-plane API: exported by the registry replica that took it.
  const commanded = devices[0]!.id;
  await cluster.api.registryData.publish({ registry_id: registryId, topic: `$devices/${commanded}/commands`, data: Buffer.from('stop') });

  const total = 2 * PER_EDGE + 1;
  const records = await readRecords(kafka.bootstrap, 'fleet-events', total, 60_000);
  const values = records.map((record) => JSON.parse(record.value) as { device_id: string; payload: string; mqtt_topic: string });
  const events = values.filter((value) => value.mqtt_topic.endsWith('/events/reading'));
  assert.equal(new Set(events.map((value) => value.payload)).size, 2 * PER_EDGE, 'every event once');
  for (const { id } of devices) assert.equal(events.filter((value) => value.device_id === id).length, PER_EDGE, `all of ${id}`);
  assert.deepEqual(
    values.filter((value) => value.mqtt_topic.endsWith('/commands')),
    [{ device_id: '', mqtt_topic: `$devices/${commanded}/commands`, payload: 'stop', is_base64: false }],
  );
  assert.ok(
    records.every((record) => record.key === JSON.parse(record.value).device_id),
    'keyed by device',
  );
  await assert.rejects(readRecords(kafka.bootstrap, 'fleet-events', total + 1, 2_000), new RegExp(`of ${total + 1}`), 'nothing else');
});
