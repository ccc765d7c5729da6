// Malformed and out-of-protocol input on raw TLS sockets: each gets MQTT's answer (CONNACK code or a
// closed connection) and the broker keeps serving everyone else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { nextMessage, startEdgeHarness, type EdgeHarness } from './harness.js';

const PASSWORD = 'Device-Passw0rd-0001';

describe('bad MQTT input', () => {
  let harness: EdgeHarness;
  let R: string;
  let D: string;

  before(async () => {
    harness = await startEdgeHarness();
    const ctx = harness.api.api.ctx;
    R = (
      await createRegistry(ctx, {
        folder_id: 'f',
        name: 'r',
        description: '',
        labels: {},
        certificates: [],
        password: 'Registry-Passw0rd-01',
      })
    ).id;
    D = (
      await createDevice(ctx, {
        registry_id: R,
        name: 'd',
        description: '',
        labels: {},
        topic_aliases: {},
        certificates: [],
        password: PASSWORD,
      })
    ).id;
  });
  after(() => harness.close());

  /** Sends raw bytes; resolves with the packets received until the server closes the socket. */
  const exchange = (chunks: Buffer[]) =>
    new Promise<Array<{ cmd: string; returnCode?: number }>>((resolve, reject) => {
      const socket = tls.connect({ host: 'localhost', port: harness.port, ca: harness.ca });
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const received: Array<{ cmd: string; returnCode?: number }> = [];
      parser.on('packet', (packet) => received.push(packet as { cmd: string; returnCode?: number }));
      socket.on('data', (data) => parser.parse(data));
      socket.on('secureConnect', () => chunks.forEach((chunk) => socket.write(chunk)));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error(`connection still open; received ${JSON.stringify(received)}`)), 5000);
    });
  const connect = (fields: Record<string, unknown> = {}) =>
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: `raw-${Math.random()}`,
      keepalive: 30,
      username: D,
      password: Buffer.from(PASSWORD),
      ...fields,
    } as mqttPacket.IConnectPacket);
  const publish = (topic: string) =>
    mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, dup: false, retain: false });

  /** A publish/subscribe round trip between two fresh clients. */
  const stillServing = async () => {
    const registry = await harness.connect({ username: R, password: 'Registry-Passw0rd-01' });
    await registry.subscribeAsync(`$devices/${D}/events`);
    const received = nextMessage(registry, `$devices/${D}/events`);
    const device = await harness.connect({ username: D, password: PASSWORD });
    await device.publishAsync(`$devices/${D}/events`, 'still here');
    assert.equal((await received).payload.toString(), 'still here');
  };

  test('garbage instead of CONNECT → closed', async () => {
    assert.deepEqual(await exchange([Buffer.from([0x10, 0x05, 0x00, 0x00, 0xff, 0xff, 0xff])]), []);
    await stillServing();
  });

  test('MQTT 5 CONNECT (protocol level 5) → CONNACK 1, closed', async () => {
    const packets = await exchange([connect({ protocolVersion: 5 })]);
    assert.equal(packets[0]?.cmd, 'connack');
    assert.equal(packets[0]?.returnCode, 1);
    await stillServing();
  });

  test('a second CONNECT → closed', async () => {
    const packets = await exchange([connect(), connect()]);
    assert.equal(packets[0]?.returnCode, 0);
    await stillServing();
  });

  test('packet identifier 0 in a QoS 1 PUBLISH, a SUBSCRIBE or an UNSUBSCRIBE → closed [MQTT-2.3.1-1]', async () => {
    const topic = `$devices/${D}/events`;
    for (const packet of [
      { cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, messageId: 0, dup: false, retain: false },
      { cmd: 'subscribe', messageId: 0, subscriptions: [{ topic, qos: 1 }] },
      { cmd: 'unsubscribe', messageId: 0, unsubscriptions: [topic] },
    ] as const) {
      const received = await exchange([connect(), mqttPacket.generate(packet as mqttPacket.Packet)]);
      assert.deepEqual(
        received.map((answer) => answer.cmd),
        ['connack'],
        packet.cmd,
      );
    }
    await stillServing();
  });

  test('wildcards or NUL in a PUBLISH topic → closed', async () => {
    for (const topic of [`$devices/${D}/events/+`, `$devices/${D}/events/#`, `$devices/${D}/events\u0000x`]) {
      const packets = await exchange([connect(), publish(topic)]);
      assert.deepEqual(
        packets.map((packet) => packet.cmd),
        ['connack'],
        topic,
      );
    }
    await stillServing();
  });

  test('malformed UTF-8 [MQTT-1.5.3-1]: in a PUBLISH topic → closed, in a filter → SUBACK 0x80, in the client ID → CONNACK 2', async () => {
    /** `packet` with the two bytes of "@@" replaced by C3 28 (a lead byte without its continuation). */
    const malformed = (packet: Buffer) => {
      const at = packet.indexOf('@@');
      assert.ok(at > 0);
      packet.set([0xc3, 0x28], at);
      return packet;
    };
    const closedAfterConnack = await exchange([connect(), malformed(publish(`$devices/${D}/state/@@`))]);
    assert.deepEqual(
      closedAfterConnack.map((packet) => packet.cmd),
      ['connack'],
    );
    // The SUBSCRIBE written raw on a connected client's socket, its SUBACK read from the wire.
    const subscriber = await harness.connect({ username: D, password: PASSWORD });
    const suback = new Promise<number[]>((resolve) =>
      subscriber.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback' && packet.messageId === 4242) resolve(packet.granted as number[]);
      }),
    );
    const subscribe: mqttPacket.ISubscribePacket = {
      cmd: 'subscribe',
      messageId: 4242,
      subscriptions: [{ topic: `$devices/${D}/commands/@@`, qos: 0 }],
    };
    subscriber.stream.write(malformed(mqttPacket.generate(subscribe)));
    assert.deepEqual(await suback, [128]);
    assert.ok(subscriber.connected, 'a refused filter alone does not close the connection');
    const refused = await exchange([malformed(connect({ clientId: 'id-@@' }))]);
    assert.deepEqual(
      refused.map((packet) => [packet.cmd, packet.returnCode]),
      [['connack', 2]],
    );
    await stillServing();
  });

  test('an empty will topic, or one with a wildcard or NUL → closed without a CONNACK [MQTT-4.7.3-1, MQTT-4.8.0-1]', async () => {
    const withWill = (topic: string) => connect({ will: { topic, payload: Buffer.from('gone'), qos: 0, retain: false } });
    // mqtt-packet will not generate an empty will topic: a one-character one, cut out.
    const oneCharacter = withWill('w');
    assert.ok(oneCharacter[1]! < 0x80, 'the CONNECT has a one-byte remaining length');
    const at = oneCharacter.indexOf(Buffer.from([0x00, 0x01, 0x77]));
    const emptyTopic = Buffer.concat([
      Buffer.from([oneCharacter[0]!, oneCharacter[1]! - 1]),
      oneCharacter.subarray(2, at),
      Buffer.from([0, 0]),
      oneCharacter.subarray(at + 3),
    ]);
    for (const [topic, packet] of [
      ['', emptyTopic],
      ...[`$devices/${D}/state/+`, `$devices/${D}/state/#`, `$devices/${D}/state\u0000x`].map((topic) => [topic, withWill(topic)] as const),
    ] as const) {
      assert.deepEqual(await exchange([packet]), [], JSON.stringify(topic));
    }
    // A well-formed will topic the device may not publish to is an authorization matter: CONNACK 5.
    const refused = await exchange([withWill(`$devices/${D}/commands`)]);
    assert.deepEqual(
      refused.map((packet) => [packet.cmd, packet.returnCode]),
      [['connack', 5]],
    );
    await stillServing();
  });

  test('empty client ID: CleanSession=0 → CONNACK 2 and closed; CleanSession=1 → accepted with an ID of its own [MQTT-3.1.3-6..8]', async () => {
    // mqtt-packet will not generate this CONNECT: a clean one with the CleanSession flag cleared.
    const persistentConnect = connect({ clientId: '', clean: true });
    persistentConnect[persistentConnect.indexOf('MQTT') + 5]! &= ~0x02;
    const persistent = await exchange([persistentConnect]);
    assert.deepEqual(
      persistent.map((packet) => [packet.cmd, packet.returnCode]),
      [['connack', 2]],
    );
    const clean = await exchange([connect({ clientId: '', clean: true }), mqttPacket.generate({ cmd: 'disconnect' })]);
    assert.deepEqual(
      clean.map((packet) => [packet.cmd, packet.returnCode]),
      [['connack', 0]],
    );
    // Two at once: each gets its own assigned ID, so neither takes the other over.
    const sessions = await Promise.all([0, 1].map(() => harness.connect({ username: D, password: PASSWORD, clientId: '', clean: true })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      sessions.map((client) => client.connected),
      [true, true],
    );
    await stillServing();
  });

  test('a password without a user name → closed without a CONNACK [MQTT-3.1.2-22]', async () => {
    // mqtt-packet will not generate it: a CONNECT with the one-character user name "u" cut out.
    const withUser = connect({ username: 'u' });
    assert.ok(withUser[1]! < 0x80, 'the CONNECT has a one-byte remaining length');
    const at = withUser.indexOf(Buffer.from([0x00, 0x01, 0x75]), withUser.indexOf('MQTT') + 10);
    const passwordOnly = Buffer.concat([
      Buffer.from([withUser[0]!, withUser[1]! - 3]),
      withUser.subarray(2, at),
      withUser.subarray(at + 3),
    ]);
    passwordOnly[passwordOnly.indexOf('MQTT') + 5]! &= ~0x80;
    assert.deepEqual(await exchange([passwordOnly]), []);
    await stillServing();
  });

  test('a client certificate nobody registered and no password → CONNACK 5', async () => {
    const packets = await exchange([connect({ username: undefined, password: undefined })]);
    assert.equal(packets[0]?.returnCode, 5);
  });
});
