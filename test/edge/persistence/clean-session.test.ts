// A clean CONNECT discards the client's previous session [MQTT-3.1.2-6]: messages its persistent
// session left stored, queued while it was away or delivered and never acknowledged, are not sent
// to the clean session, nor to a persistent session the client starts after it. On both stores of
// the edge's MQTT state: LevelDB (all-in-one) and MongoDB (cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { uniqueDbName } from '../../support/servers.js';
import { nextMessage, registryAndDevice, startEdgeHarness } from '../harness.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
const SESSIONS = { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 0 };

for (const store of ['LevelDB', 'MongoDB'] as const) {
  test(`${store}: a clean CONNECT discards the queued and unacknowledged messages of the previous session`, async (t) => {
    const harness = await startEdgeHarness({
      sessions: SESSIONS,
      mongoDb: store === 'MongoDB' ? uniqueDbName('clean-session') : undefined,
    });
    t.after(() => harness.close());
    const { registry, device } = await registryAndDevice(harness, { registry: REGISTRY_PASSWORD, device: DEVICE_PASSWORD });
    const asDevice = (clean: boolean) => harness.connect({ username: device, password: DEVICE_PASSWORD, clientId: 'sensor', clean });
    const sender = await harness.connect({ username: registry, password: REGISTRY_PASSWORD });
    const command = (text: string) => sender.publishAsync(`$devices/${device}/commands`, text, { qos: 1 });

    const persistent = await asDevice(false);
    await persistent.subscribeAsync('$me/device/commands', { qos: 1 });
    const delivered = nextMessage(persistent);
    // Never acknowledges: mqtt.js sends PUBACK once handleMessage calls back.
    (persistent as MqttClient & { handleMessage(packet: unknown, done: () => void): void }).handleMessage = () => {};
    await command('delivered, never acknowledged');
    assert.equal((await delivered).payload.toString(), 'delivered, never acknowledged');
    await persistent.endAsync(true);
    await command('queued while away');

    const clean = await asDevice(true);
    await assert.rejects(nextMessage(clean, undefined, 500), /no message/, 'the clean session gets nothing of the old one');
    await clean.endAsync();

    const next = await asDevice(false);
    await assert.rejects(nextMessage(next, undefined, 1000), /no message/, 'nor does the next persistent session');
    await next.subscribeAsync('$me/device/commands', { qos: 1 });
    const fresh = nextMessage(next);
    await command('new');
    assert.equal((await fresh).payload.toString(), 'new', 'and the next session works as any other');
  });
}
