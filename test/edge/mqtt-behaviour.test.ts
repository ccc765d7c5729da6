// MQTT 3.1.1 behaviour the edge keeps (docs/yandex-behaviour.md §4, §3.8): broker topic spaces, inbound QoS 2,
// persistent sessions with queued QoS 1 messages, and wills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { createBroker } from '../../services/registry/resources/brokers.js';
import { nextMessage, startEdgeHarness } from './harness.js';

test('MQTT behaviour: brokers, QoS 2 in, persistent sessions, wills', async (t) => {
  const harness = await startEdgeHarness();
  t.after(() => harness.close());
  const ctx = harness.api.api.ctx;
  const R = (
    await createRegistry(ctx, {
      folder_id: 'f',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: 'Registry-Passw0rd-01',
    })
  ).id;
  const D = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Device-Passw0rd-0001',
    })
  ).id;
  const B1 = (
    await createBroker(ctx, { folder_id: 'f', name: 'b1', description: '', labels: {}, certificates: [], password: 'Broker-Passw0rd-001' })
  ).id;
  const B2 = (
    await createBroker(ctx, { folder_id: 'f', name: 'b2', description: '', labels: {}, certificates: [], password: 'Broker-Passw0rd-002' })
  ).id;
  const asRegistry = (extra = {}) => harness.connect({ username: R, password: 'Registry-Passw0rd-01', ...extra });
  const asDevice = (extra = {}) => harness.connect({ username: D, password: 'Device-Passw0rd-0001', ...extra });

  await t.test('broker clients share ordinary topics with wildcards; brokers are isolated', async () => {
    const subscriber = await harness.connect({ username: B1, password: 'Broker-Passw0rd-001' });
    const stranger = await harness.connect({ username: B2, password: 'Broker-Passw0rd-002' });
    await subscriber.subscribeAsync('plant/+/temperature', { qos: 1 });
    await stranger.subscribeAsync('#', { qos: 1 });
    const leaked = nextMessage(stranger, undefined, 500);
    const received = nextMessage(subscriber, 'plant/7/temperature');
    const publisher = await harness.connect({ username: B1, password: 'Broker-Passw0rd-001' });
    await publisher.publishAsync('plant/7/temperature', '19.5', { qos: 1 });
    assert.equal((await received).payload.toString(), '19.5');
    await assert.rejects(leaked, /no message/);
  });

  await t.test('an inbound QoS 2 PUBLISH completes its handshake and is delivered at QoS 1', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
    const received = new Promise<number>((resolve) => registry.once('message', (_topic, _payload, packet) => resolve(packet.qos)));
    const device = await asDevice();
    await device.publishAsync(`$devices/${D}/events`, 'exactly once?', { qos: 2 });
    assert.equal(await received, 1);
  });

  await t.test("a clean session's QoS 1 deliveries are numbered from packet identifier 1, as Mosquitto numbers them", async () => {
    const registry = await asRegistry();
    for (const connection of [1, 2]) {
      const device = await asDevice({ clientId: 'numbered' });
      await device.subscribeAsync('$me/device/commands', { qos: 1 });
      const identifiers: number[] = [];
      const three = new Promise<void>((resolve) =>
        device.on('message', (_topic, _payload, packet) => {
          if (identifiers.push(packet.messageId!) === 3) resolve();
        }),
      );
      for (const text of ['one', 'two', 'three']) await registry.publishAsync(`$devices/${D}/commands`, text, { qos: 1 });
      await three;
      assert.deepEqual(identifiers, [1, 2, 3], `connection ${connection}`);
      await device.endAsync();
    }
  });

  await t.test('a persistent session keeps its subscription and queued QoS 1 messages while offline', async () => {
    const first = await asDevice({ clientId: 'persistent-device', clean: false });
    await first.subscribeAsync('$me/device/commands', { qos: 1 });
    await first.endAsync();
    const registry = await asRegistry();
    await registry.publishAsync(`$devices/${D}/commands`, 'while you were away', { qos: 1 });
    const second = await asDevice({ clientId: 'persistent-device', clean: false, manualConnect: false });
    const message = await nextMessage(second);
    assert.equal(message.payload.toString(), 'while you were away');
  });

  await t.test('a will is published when a device drops without DISCONNECT', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$devices/${D}/state/online`, { qos: 1 });
    const device = await asDevice({
      clientId: 'will-device',
      will: { topic: `$devices/${D}/state/online`, payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    const will = nextMessage(registry, `$devices/${D}/state/online`);
    (device as unknown as { stream: { destroy(): void } }).stream.destroy();
    assert.equal((await will).payload.toString(), 'offline');
    await assert.rejects(
      asDevice({ clientId: 'bad-will', will: { topic: `$devices/${D}/commands`, payload: Buffer.from('x'), qos: 0, retain: false } }),
      (error: { code?: number }) => error.code === 5,
      'a will on a topic the device may not publish refuses the CONNECT',
    );
  });
});
