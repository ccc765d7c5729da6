// A connection taken over on the same edge (a new CONNECT with the same client ID) is closed by the
// server without DISCONNECT: its will is published [MQTT-3.1.2-8], once, as Mosquitto and Eclipse
// Paho's reference broker do, and the will the new connection stored stays stored, the only one of
// the client. On both stores of the edge's MQTT state. (A client moving to another edge is not
// going offline: test/cluster/cross-node.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';
import { closed, registryAndDevice, startEdgeHarness } from '../harness.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
const SESSIONS = { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 0 };

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const store of ['LevelDB', 'MongoDB'] as const) {
  test(`${store}: a takeover publishes the old connection's will once and keeps only the new one's stored`, async (t) => {
    const database = store === 'MongoDB' ? uniqueDbName('takeover-wills') : undefined;
    const harness = await startEdgeHarness({ sessions: SESSIONS, mongoDb: database });
    const mongo = database ? await MongoClient.connect(await mongoUrl()) : undefined;
    t.after(async () => {
      await harness.close();
      await mongo?.close();
    });
    const { registry, device } = await registryAndDevice(harness, { registry: REGISTRY_PASSWORD, device: DEVICE_PASSWORD });
    const clientId = `${device}/sensor`; // the edge names a session by principal and client ID
    const storedWills = async (): Promise<string[]> => {
      if (mongo) {
        const stored = await mongo.db(database).collection('mqtt_will').find({ clientId }).toArray();
        return stored.map((will) => Buffer.from(will.packet.payload.buffer).toString());
      }
      const will = await (
        harness.mqttState!.persistence as { getWill(client: { id: string }): Promise<{ payload: Buffer } | undefined> }
      ).getWill({
        id: clientId,
      });
      return will ? [will.payload.toString()] : [];
    };
    const topic = `$devices/${device}/events/status`;
    const watcher = await harness.connect({ username: registry, password: REGISTRY_PASSWORD });
    await watcher.subscribeAsync(topic, { qos: 1 });
    const published: string[] = [];
    watcher.on('message', (_topic, payload) => published.push(payload.toString()));
    const asDevice = (will: string) =>
      harness.connect({
        username: device,
        password: DEVICE_PASSWORD,
        clientId: 'sensor',
        will: { topic, payload: Buffer.from(will), qos: 1, retain: false },
      });

    const first = await asDevice('first gone');
    const firstClosed = closed(first);
    const second = await asDevice('second gone');
    await firstClosed;
    await settle(500);
    assert.deepEqual(published, ['first gone'], 'the taken-over connection left without DISCONNECT: its will, once');
    assert.deepEqual(await storedWills(), ['second gone'], "the new connection's will is the one stored");

    await second.endAsync();
    await settle(500);
    assert.deepEqual(published, ['first gone'], 'a DISCONNECT discards the will');
    assert.deepEqual(await storedWills(), [], 'and nothing of the client is left stored');
  });
}
