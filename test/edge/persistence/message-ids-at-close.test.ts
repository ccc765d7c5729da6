// QoS 1 messages to a persistent session on the MongoDB state of a cluster edge: a PUBACK deletes
// the stored message by its broker counter (the packet identifier is not written at delivery), and
// the identifiers of messages still unacknowledged when the connection closes are written then, so
// the resumed session gets them again under the same identifiers [MQTT-4.4.0-1].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { MongoClient } from 'mongodb';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { registryAndDevice, startEdgeHarness, type EdgeHarness } from '../harness.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
const MESSAGES = 10;

async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const database = uniqueDbName('message-ids');
  const harness = await startEdgeHarness({ sessions: { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 0 }, mongoDb: database });
  const mongo = await MongoClient.connect(await mongoUrl());
  t.after(async () => {
    await harness.close();
    await mongo.close();
  });
  const { registry, device } = await registryAndDevice(harness, { registry: REGISTRY_PASSWORD, device: DEVICE_PASSWORD });
  // The edge names a session by principal and client ID.
  const stored = (filter: object = {}) =>
    mongo
      .db(database)
      .collection('mqtt_outgoing')
      .countDocuments({ clientId: `${registry}/backend`, ...filter });
  return { harness, registry, device, stored };
}

async function publishEvents(harness: EdgeHarness, device: string): Promise<void> {
  const publisher = await harness.connect({ username: device, password: DEVICE_PASSWORD });
  for (let index = 0; index < MESSAGES; index++) await publisher.publishAsync(`$devices/${device}/events`, String(index), { qos: 1 });
  await publisher.endAsync();
}

async function until(condition: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('acknowledged QoS 1 messages leave the stored queue of a persistent session', async (t) => {
  const { harness, registry, device, stored } = await setUp(t);
  const backend = await harness.connect({ username: registry, password: REGISTRY_PASSWORD, clientId: 'backend', clean: false });
  await backend.subscribeAsync(`$devices/${device}/events`, { qos: 1 });
  const received: string[] = [];
  backend.on('message', (_topic, payload) => received.push(payload.toString()));
  await publishEvents(harness, device);
  await until(async () => received.length === MESSAGES, `${MESSAGES} messages received`);
  await until(async () => (await stored()) === 0, 'the stored queue is empty after the PUBACKs');
});

test('messages unacknowledged when the connection closes come back under the same packet identifiers', async (t) => {
  const { harness, registry, device, stored } = await setUp(t);
  // A subscriber that never sends PUBACK: a raw MQTT connection.
  const socket = tls.connect({ host: '127.0.0.1', port: harness.port, servername: 'localhost', ca: harness.ca });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  parser.on('packet', (packet) => packets.push(packet));
  socket.on('data', (data: Buffer) => parser.parse(data));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      clientId: 'backend',
      keepalive: 30,
      username: registry,
      password: Buffer.from(REGISTRY_PASSWORD),
    }),
  );
  await until(async () => packets.some((packet) => packet.cmd === 'connack'), 'CONNACK');
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `$devices/${device}/events`, qos: 1 }] }));
  await until(async () => packets.some((packet) => packet.cmd === 'suback'), 'SUBACK');
  await publishEvents(harness, device);
  const published = () => packets.filter((packet): packet is Packet & { cmd: 'publish' } => packet.cmd === 'publish');
  await until(async () => published().length === MESSAGES, `${MESSAGES} PUBLISH packets`);
  const firstIds = new Map(published().map((packet) => [packet.payload.toString(), packet.messageId]));
  socket.destroy();
  await until(async () => (await stored({ 'packet.messageId': { $ne: null } })) === MESSAGES, 'identifiers written at close');

  const resumed = await harness.connect({ username: registry, password: REGISTRY_PASSWORD, clientId: 'backend', clean: false });
  const again = new Map<string, number | undefined>();
  resumed.on('message', (_topic, payload, packet) => again.set(payload.toString(), packet.messageId));
  await until(async () => again.size === MESSAGES, `${MESSAGES} messages again`);
  assert.deepEqual(again, firstIds);
  await until(async () => (await stored()) === 0, 'the stored queue is empty after the PUBACKs');
});
