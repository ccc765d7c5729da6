// A device flashed for Yandex IoT Core talks to an iotcore edge over TLS: password and
// certificate auth, events/state up, commands/config down, $me and user aliases, permanent
// topics, $monitoring, and the answers to forbidden or malformed actions.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { status } from '@grpc/grpc-js';
import { DeviceDataServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_data_service.js';
import { RegistryDataServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_data_service.js';
import { call } from '../registry/api/harness.js';
import { createRegistry, setRegistryEnabled } from '../../services/registry/resources/registries.js';
import { createDevice, deleteDevice } from '../../services/registry/resources/devices.js';
import { addPassword, deletePassword } from '../../services/registry/resources/credentials.js';
import { makeCertificate } from '../support/certificates.js';
import { closed, nextMessage, startEdgeHarness, type EdgeHarness } from './harness.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';

describe('Yandex IoT Core compatibility over MQTT/TLS', () => {
  let harness: EdgeHarness;
  let R: string;
  let D: string;
  let C: string; // a device that authenticates with its certificate
  const certificate = makeCertificate('cert-device');

  const asRegistry = () => harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: `registry-${Math.random()}` });
  const asDevice = () => harness.connect({ username: D, password: DEVICE_PASSWORD, clientId: `device-${Math.random()}` });

  before(async () => {
    harness = await startEdgeHarness({ maxMessageBytes: 4096 });
    const ctx = harness.api.api.ctx;
    R = (
      await createRegistry(ctx, { folder_id: 'f', name: 'r', description: '', labels: {}, certificates: [], password: REGISTRY_PASSWORD })
    ).id;
    D = (
      await createDevice(ctx, {
        registry_id: R,
        name: 'd',
        description: '',
        labels: {},
        certificates: [],
        password: DEVICE_PASSWORD,
        topic_aliases: { 'home/kitchen/': '$devices/{id}/events/kitchen/' },
      })
    ).id;
    C = (
      await createDevice(ctx, {
        registry_id: R,
        name: 'c',
        description: '',
        labels: {},
        topic_aliases: {},
        certificates: [certificate.certPem],
      })
    ).id;
  });
  after(() => harness.close());

  test('device events reach the registry (password auth)', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
    const device = await asDevice();
    const received = nextMessage(registry, `$devices/${D}/events`);
    await device.publishAsync(`$devices/${D}/events`, 'temp=21', { qos: 1 });
    assert.equal((await received).payload.toString(), 'temp=21');
  });

  test('client IDs are per principal: yc\'s fixed "YCCmdLine" works for a registry and a device at once; the same principal takes over', async () => {
    const registry = await harness.connect({ username: R, password: REGISTRY_PASSWORD, clientId: 'YCCmdLine' });
    await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
    const device = await harness.connect({ username: D, password: DEVICE_PASSWORD, clientId: 'YCCmdLine' });
    const received = nextMessage(registry, `$devices/${D}/events`);
    await device.publishAsync(`$devices/${D}/events`, 'both connected', { qos: 1 });
    assert.equal((await received).payload.toString(), 'both connected');
    assert.ok(registry.connected && device.connected);
    const takenOver = closed(device);
    const again = await harness.connect({ username: D, password: DEVICE_PASSWORD, clientId: 'YCCmdLine' });
    await takenOver;
    assert.ok(again.connected && registry.connected);
  });

  test('certificate auth: a device publishes to its registry topic', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$registries/${R}/events`, { qos: 0 });
    const device = await harness.connect({ cert: certificate.certPem, key: certificate.keyPem, clientId: 'cert-device' });
    const received = nextMessage(registry, `$registries/${R}/events`);
    await device.publishAsync(`$registries/${R}/events`, 'from-cert', { qos: 0 });
    assert.equal((await received).payload.toString(), 'from-cert');
  });

  test('commands flow back and arrive under the $me name', async () => {
    const device = await asDevice();
    await device.subscribeAsync('$me/device/commands', { qos: 1 });
    const registry = await asRegistry();
    const received = nextMessage(device);
    await registry.publishAsync(`$devices/${D}/commands`, 'reboot', { qos: 1 });
    const message = await received;
    assert.equal(message.topic, '$me/device/commands');
    assert.equal(message.payload.toString(), 'reboot');
  });

  test('a user alias round-trips and arrives under the subscribed name', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync('home/kitchen/+', { qos: 0 });
    const canonical = await asRegistry();
    await canonical.subscribeAsync(`$devices/${D}/events/#`, { qos: 0 });
    const device = await asDevice();
    const viaAlias = nextMessage(registry);
    const viaCanonical = nextMessage(canonical);
    await device.publishAsync('home/kitchen/temperature', '22', { qos: 0 });
    assert.equal((await viaAlias).topic, 'home/kitchen/temperature');
    assert.equal((await viaCanonical).topic, `$devices/${D}/events/kitchen/temperature`);
  });

  test('a filter beginning with no whole alias matches alias names only: `#` is every alias', async () => {
    const everyAlias = await asRegistry();
    const granted = await everyAlias.subscribeAsync('#', { qos: 0 });
    assert.deepEqual(
      granted.map(({ qos }) => qos),
      [0],
    );
    const oneLevel = await asRegistry();
    await oneLevel.subscribeAsync('home/+/temperature', { qos: 0 });
    const device = await asDevice();
    const viaEvery = nextMessage(everyAlias);
    const viaOneLevel = nextMessage(oneLevel);
    // No alias covers the first: neither filter takes it; both take the second, named by the alias.
    await device.publishAsync(`$devices/${D}/events/no-alias`, 'skipped', { qos: 1 });
    await device.publishAsync(`$devices/${D}/events/kitchen/temperature`, '23', { qos: 1 });
    for (const message of [await viaEvery, await viaOneLevel]) {
      assert.equal(message.topic, 'home/kitchen/temperature');
      assert.equal(message.payload.toString(), '23');
    }
  });

  test('permanent state is delivered to a late subscriber; RETAIN on other topics is ignored', async () => {
    const device = await asDevice();
    await device.publishAsync(`$devices/${D}/state`, 'on', { qos: 1 });
    await device.publishAsync(`$devices/${D}/events`, 'not-stored', { qos: 1, retain: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const registry = await asRegistry();
    const stored = nextMessage(registry, `$devices/${D}/state`);
    await registry.subscribeAsync(`$devices/${D}/state`, { qos: 1 });
    assert.equal((await stored).payload.toString(), 'on');
    const late = await asRegistry();
    const events = nextMessage(late, `$devices/${D}/events`, 500);
    await late.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
    await assert.rejects(events, /no message/);
  });

  test('stored values are replayed for at most 1000 permanent topics per subscription', async () => {
    const device = await asDevice();
    for (let index = 0; index < 1005; index++) await device.publishAsync(`$devices/${D}/state/sensor${index}`, String(index), { qos: 1 });
    const registry = await asRegistry();
    let replayed = 0;
    registry.on('message', (_topic, _payload, packet) => {
      if (packet.retain) replayed++;
    });
    await registry.subscribeAsync(`$devices/${D}/state/#`, { qos: 1 });
    // Wait for the replay to reach the limit (a loaded machine is slower), then for any excess.
    for (const deadline = Date.now() + 15_000; replayed < 1000 && Date.now() < deadline; )
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(replayed, 1000);
  });

  test('$monitoring JSON arrives for the device', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$monitoring/${D}/json`, { qos: 0 });
    const received = nextMessage(registry, `$monitoring/${D}/json`, 4000);
    const device = await asDevice();
    await device.publishAsync(`$devices/${D}/events`, 'x', { qos: 0 });
    const json = JSON.parse((await received).payload.toString());
    assert.equal(json.device_id, D);
    assert.equal(json.registry_id, R);
    assert.ok(json.last_auth_time && json.last_online_time);
    await registry.endAsync();
  });

  test('$monitoring JSON arrives for a member of a shared subscription, the only subscriber', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$share/watchers/$monitoring/${D}/json`, { qos: 0 });
    const received = nextMessage(registry, `$monitoring/${D}/json`, 4000);
    const device = await asDevice();
    await device.publishAsync(`$devices/${D}/events`, 'x', { qos: 0 });
    assert.equal(JSON.parse((await received).payload.toString()).device_id, D);
    await registry.endAsync();
  });

  test('forbidden SUBSCRIBE gets 0x80 for that filter only; QoS 2 is granted as 1', async () => {
    const device = await asDevice();
    const suback = new Promise<number[]>((resolve) =>
      device.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') resolve(packet.granted as number[]);
      }),
    );
    device.subscribe(
      { [`$devices/${D}/commands`]: { qos: 2 }, [`$devices/${C}/commands`]: { qos: 0 }, '$devices/+': { qos: 0 } },
      () => undefined,
    );
    assert.deepEqual(await suback, [1, 128, 128]);
    assert.ok(device.connected);
  });

  test('a filter deeper than the matcher takes gets 0x80 alone, repeated or not; the connection stays', async () => {
    const registry = await asRegistry();
    const suback = new Promise<number[]>((resolve, reject) => {
      registry.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') resolve(packet.granted as number[]);
      });
      registry.once('close', () => reject(new Error('the connection was closed without a SUBACK')));
    });
    const deep = `$devices/${D}/events/${'x/'.repeat(150)}y`;
    registry.subscribe([deep, `$devices/${D}/events`, `${deep}/z`], { qos: 1 }, () => undefined);
    assert.deepEqual(await suback, [128, 1, 128]);
    const device = await asDevice();
    const received = nextMessage(registry, `$devices/${D}/events`);
    await device.publishAsync(`$devices/${D}/events`, 'still subscribed', { qos: 1 });
    assert.equal((await received).payload.toString(), 'still subscribed');
  });

  test('forbidden PUBLISH closes the connection; others keep working', async () => {
    const device = await asDevice();
    const gone = closed(device);
    device.publish(`$devices/${D}/commands`, 'self-command', { qos: 0 });
    await gone;
    const other = await asDevice();
    const spoof = closed(other);
    other.publish(`$device/${D}/events`, 'misspelled', { qos: 0 });
    await spoof;
    const registry = await asRegistry();
    const stillServing = nextMessage(registry, `$devices/${D}/events`);
    await registry.subscribeAsync(`$devices/${D}/events`);
    const fresh = await asDevice();
    await fresh.publishAsync(`$devices/${D}/events`, 'alive');
    assert.equal((await stillServing).payload.toString(), 'alive');
  });

  test('data-plane Publish RPCs inject messages under the same ACL', async () => {
    const registry = await asRegistry();
    await registry.subscribeAsync(`$devices/${D}/events/#`, { qos: 1 });
    const device = await asDevice();
    await device.subscribeAsync(`$devices/${D}/commands`, { qos: 1 });
    const api = harness.api;
    const deviceData = new DeviceDataServiceClient(api.address, api.channel);
    const registryData = new RegistryDataServiceClient(api.address, api.channel);
    const telemetry = nextMessage(registry, `$devices/${D}/events/emulator`);
    await call(
      deviceData,
      'publish',
      { device_id: D, topic: `$devices/${D}/events/emulator`, data: Buffer.from('via gRPC') },
      api.metadata,
    );
    assert.equal((await telemetry).payload.toString(), 'via gRPC');
    const command = nextMessage(device, `$devices/${D}/commands`);
    await call(
      registryData,
      'publish',
      { registry_id: R, topic: `$devices/${D}/commands`, data: Buffer.from('cmd via gRPC') },
      api.metadata,
    );
    assert.equal((await command).payload.toString(), 'cmd via gRPC');
    await assert.rejects(
      call(deviceData, 'publish', { device_id: D, topic: `$devices/${D}/commands`, data: Buffer.from('x') }, api.metadata),
      { code: status.PERMISSION_DENIED },
    );
    await assert.rejects(
      call(deviceData, 'publish', { device_id: D, topic: `$devices/${D}/events`, data: Buffer.alloc(262_145) }, api.metadata),
      { code: status.INVALID_ARGUMENT },
    );
    // A topic MQTT forbids is a bad argument, whoever publishes, not a permission question.
    for (const topic of [`$devices/${D}/events/+`, `$devices/${D}/events/#`, `$devices/${D}/events/a\0b`]) {
      await assert.rejects(call(deviceData, 'publish', { device_id: D, topic, data: Buffer.from('x') }, api.metadata), {
        code: status.INVALID_ARGUMENT,
      });
    }
    deviceData.close();
    registryData.close();
  });

  test('wrong credentials: CONNACK 4 for a wrong password or unknown device, 5 for an unknown certificate', async () => {
    const expectCode = async (options: mqtt.IClientOptions, code: number) => {
      await assert.rejects(harness.connect(options), (error: { code?: number }) => {
        assert.equal(error.code, code);
        return true;
      });
    };
    await expectCode({ username: D, password: 'Wrong-Passw0rd-000' }, 4);
    await expectCode({ username: 'are00000000000000000', password: DEVICE_PASSWORD }, 4);
    const stranger = makeCertificate('stranger');
    await expectCode({ cert: stranger.certPem, key: stranger.keyPem }, 5);
    await expectCode({}, 5);
  });

  test('oversized packets close the connection; the broker keeps serving', async () => {
    const device = await asDevice();
    const gone = closed(device);
    device.publish(`$devices/${D}/events`, Buffer.alloc(8192, 1), { qos: 0 });
    await gone;
    const next = await asDevice();
    assert.ok(next.connected);
  });

  test('the message size limit is on the payload, exactly, whatever the topic', async () => {
    // The harness's limit is 4096 bytes: the packet-size guard lets a little more through, for the
    // longest topic, so a payload one byte over on a short topic is the payload check's to refuse.
    const registry = await asRegistry();
    const device = await asDevice();
    const received = nextMessage(registry, `$devices/${D}/events`);
    await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
    await device.publishAsync(`$devices/${D}/events`, Buffer.alloc(4096, 1), { qos: 1 });
    assert.equal((await received).payload.length, 4096);
    const gone = closed(device);
    device.publish(`$devices/${D}/events`, Buffer.alloc(4097, 1), { qos: 1 });
    await gone;
    // A will is bounded by the same limit (the packet's own field bounds it at 65,535 bytes).
    const willOf = (bytes: number) =>
      mqtt.connect({
        protocol: 'mqtts',
        host: 'localhost',
        port: harness.edge.ports.tls!,
        ca: harness.ca,
        reconnectPeriod: 0,
        username: D,
        password: DEVICE_PASSWORD,
        will: { topic: `$devices/${D}/events`, payload: Buffer.alloc(bytes, 1), qos: 0, retain: false },
      });
    const overLimit = willOf(4097);
    const connacked = new Promise<boolean>((resolve) => {
      overLimit.once('connect', () => resolve(true));
      overLimit.once('close', () => resolve(false));
    });
    assert.equal(await connacked, false, 'a will over the limit closes the connection without a CONNACK');
    overLimit.end(true);
    const atLimit = willOf(4096);
    await new Promise((resolve) => atLimit.once('connect', resolve));
    atLimit.end(true);
  });

  test('deleting a password closes only the sessions that used it', async () => {
    const ctx = harness.api.api.ctx;
    const second = await addPassword(ctx, { kind: 'registry', id: R, registry_id: R }, 'Second-Passw0rd-0002');
    const viaSecond = await harness.connect({ username: R, password: 'Second-Passw0rd-0002' });
    const viaFirst = await asRegistry();
    const dropped = closed(viaSecond);
    await deletePassword(ctx, { kind: 'registry', id: R, registry_id: R }, second.id);
    await dropped;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(viaFirst.connected, 'the session on the other password stays');
    await assert.rejects(
      harness.connect({ username: R, password: 'Second-Passw0rd-0002' }),
      (error: { code?: number }) => error.code === 4,
    );
  });

  test('disabled registry refuses its devices and drops live sessions; deleted device is disconnected', async () => {
    const ctx = harness.api.api.ctx;
    const device = await asDevice();
    const dropped = closed(device);
    await setRegistryEnabled(ctx, R, false);
    await dropped;
    await assert.rejects(asDevice(), (error: { code?: number }) => error.code === 5);
    await setRegistryEnabled(ctx, R, true);
    const certDevice = await harness.connect({ cert: certificate.certPem, key: certificate.keyPem, clientId: 'cert-device-2' });
    const deleted = closed(certDevice);
    await deleteDevice(ctx, C);
    await deleted;
  });
});
