// The §3.2 ACL matrix over the wire: for every topic row and for device D and registry R, a
// PUBLISH is either delivered to the side that may read it or answered by closing the connection,
// and a SUBSCRIBE is either granted or answered with SUBACK 0x80.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient, Packet } from 'mqtt';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { closed, startEdgeHarness } from './harness.js';

test('ACL matrix over MQTT: delivered / SUBACK 0x80 / disconnect', { timeout: 120_000 }, async (t) => {
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
  const R2 = (
    await createRegistry(ctx, {
      folder_id: 'f',
      name: 'r2',
      description: '',
      labels: {},
      certificates: [],
      password: 'Registry-Passw0rd-02',
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
  const X = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'x',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Device-Passw0rd-0002',
    })
  ).id;
  const Y = (
    await createDevice(ctx, {
      registry_id: R2,
      name: 'y',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Device-Passw0rd-0003',
    })
  ).id;
  const credentials = { D: { username: D, password: 'Device-Passw0rd-0001' }, R: { username: R, password: 'Registry-Passw0rd-01' } };

  // [topic, D publishes, D reads, R publishes, R reads]
  const matrix: Array<[string, boolean, boolean, boolean, boolean]> = [
    [`$devices/${D}/events`, true, false, false, true],
    [`$devices/${D}/events/room/t`, true, false, false, true],
    [`$devices/${D}/state`, true, false, false, true],
    [`$devices/${D}/commands`, false, true, true, false],
    [`$devices/${D}/config/x`, false, true, true, false],
    [`$devices/${X}/events`, false, false, false, true],
    [`$devices/${X}/commands`, false, false, true, false],
    [`$registries/${R}/events`, true, false, false, true],
    [`$registries/${R}/state`, true, false, false, true],
    [`$registries/${R}/commands`, false, true, true, false],
    [`$registries/${R}/config`, false, true, true, false],
    [`$monitoring/${D}/json`, false, true, false, true],
    [`$devices/${Y}/commands`, false, false, false, false],
    // A device of another registry: its topics are refused, SUBSCRIBE included (0x80).
    [`$devices/${Y}/events`, false, false, false, false],
    [`$monitoring/${Y}/json`, false, false, false, false],
    [`$registries/${R2}/events`, false, false, false, false],
    [`$device/${D}/events`, false, false, false, false],
    ['plain/topic', false, false, false, false],
  ];

  // Readers that see everything they are allowed to: a registry, device D and device X.
  const log = new Map<MqttClient, string[]>();
  const reader = async (username: string, password: string, filters: string[]) => {
    const client = await harness.connect({ username, password });
    log.set(client, []);
    client.on('message', (topic) => log.get(client)!.push(topic));
    await client.subscribeAsync(filters, { qos: 1 });
    return client;
  };
  const registryReader = await reader(R, 'Registry-Passw0rd-01', ['$devices/+/events/#', '$devices/+/state/#', `$registries/${R}/#`]);
  const deviceReader = await reader(D, 'Device-Passw0rd-0001', [`$devices/${D}/#`, `$registries/${R}/#`]);
  const otherReader = await reader(X, 'Device-Passw0rd-0002', [`$devices/${X}/#`]);
  const readers = [registryReader, deviceReader, otherReader];
  // The broadest filters, narrowed as Yandex documents: `$devices/#` of a registry reads events
  // only, `$registries/#` of a device reads commands only.
  const registryNarrowed = await reader(R, 'Registry-Passw0rd-01', ['$devices/#']);
  const deviceNarrowed = await reader(X, 'Device-Passw0rd-0002', ['$registries/#']);

  const subscribers = {
    D: await harness.connect({ ...credentials.D, clientId: 'd-sub' }),
    R: await harness.connect({ ...credentials.R, clientId: 'r-sub' }),
  };
  const suback = (client: MqttClient, filter: string) =>
    new Promise<number>((resolve) => {
      const onPacket = (packet: Packet) => {
        if (packet.cmd !== 'suback') return;
        client.off('packetreceive', onPacket);
        resolve(packet.granted[0] as number);
      };
      client.on('packetreceive', onPacket);
      client.subscribe(filter, { qos: 1 }, () => undefined);
    });

  let cases = 0;
  for (const [topic, dPub, dSub, rPub, rSub] of matrix) {
    for (const [who, mayPublish, mayRead] of [
      ['D', dPub, dSub],
      ['R', rPub, rSub],
    ] as const) {
      const granted = await suback(subscribers[who], topic);
      assert.equal(granted !== 128, mayRead, `${who} SUBSCRIBE ${topic} → ${granted}`);
      cases++;

      const publisher = await harness.connect(credentials[who]);
      if (!mayPublish) {
        const gone = closed(publisher);
        publisher.publish(topic, 'forbidden', { qos: 1 });
        await gone;
      } else {
        readers.forEach((client) => log.get(client)!.splice(0));
        await publisher.publishAsync(topic, 'allowed', { qos: 1 });
        await new Promise((resolve) => setTimeout(resolve, 150));
        const deliveredTo = readers.filter((client) => log.get(client)!.includes(topic)).length;
        assert.ok(deliveredTo >= 1, `${who} PUBLISH ${topic} is delivered to a reader`);
        assert.ok(publisher.connected);
        await publisher.endAsync();
      }
      cases++;
    }
  }
  // Device D's own messages never reach other devices, and X never sees D's commands.
  assert.equal(
    log.get(otherReader)!.some((topic) => topic.includes(D)),
    false,
  );
  const kinds = (client: MqttClient) => new Set(log.get(client)!.map((topic) => topic.split('/')[2]));
  assert.deepEqual([...kinds(registryNarrowed)], ['events'], "a registry's $devices/# reads events only");
  assert.deepEqual([...kinds(deviceNarrowed)], ['commands'], "a device's $registries/# reads commands only");
  console.log(`ACL matrix over MQTT: ${cases} cases`);
});
