// The inputs the fuzz targets failed on, each replayed through its target's property (and the
// behaviour it checks stated directly), so the fixes stay fixed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { startEdge } from '../../services/edge/edge.js';
import { embeddedMqttPersistence } from '../../services/edge/persistence/embedded.js';
import { TopicPolicy } from '../../services/edge/topics/acl.js';
import { parseCanonical, toCanonical, toInternal } from '../../services/edge/topics/namespace.js';
import type { Principal } from '../../services/contracts/principal.js';
import { withQueueLimit } from '../../services/edge/persistence/queue-limit.js';
import type { FuzzSession, FuzzTarget } from './target.js';
import { topicsTarget } from './targets/topics.js';
import { aliasesAndMeTarget } from './targets/aliases-and-me.js';
import { mqttPacketsTarget } from './targets/mqtt-packets.js';
import { apiRequestsTarget } from './targets/api-requests.js';
import { IDS } from './support/topic-inputs.js';
import { DEVICE_CERTIFICATE, PASSWORD, inMemoryRegistryLink } from './support/in-memory-registry-link.js';
import { MemoryConnection } from './support/memory-connection.js';

const D = IDS.device;
const R = IDS.registry;

/** Runs `target`'s property on the given inputs, against one session. */
function replay<Input>(target: FuzzTarget<Input>, cases: Array<[name: string, input: Input]>): void {
  describe(`fuzz regressions: ${target.name}`, () => {
    let session: FuzzSession<Input>;
    before(async () => {
      session = await target.start();
    });
    after(() => session.close());
    for (const [name, input] of cases) test(name, () => session.check(input));
  });
}

test('canonical → internal → canonical keeps an empty level ($monitoring//, $devices/D/)', () => {
  for (const topic of ['$monitoring//', `$devices/${D}/`]) assert.equal(toCanonical(toInternal(R, parseCanonical(topic)!, topic)), topic);
});

test("an alias glued to the client's wildcard (x/y/ → …/config/x, then x/y/+/a) is refused, not subscribed as …/config/x+/a", () => {
  const device: Principal = {
    kind: 'device',
    id: D,
    registry_id: R,
    folder_id: 'f',
    credential_id: 'c',
    registry_aliases: [],
    topic_aliases: { 'x/y/': `$devices/${D}/config/x`, 'home/': `$devices/${D}/config/x` },
  };
  const policy = new TopicPolicy(device);
  for (const filter of ['x/y/+/a', 'home/#']) assert.equal(policy.authorizeSubscribe(filter).ok, false, filter);
  assert.equal(policy.authorizeSubscribe('x/y/a').ok, true);
});

test('a topic deeper than aedes takes is refused by the policy (it used to fail inside aedes)', () => {
  const broker: Principal = {
    kind: 'broker',
    id: IDS.broker,
    registry_id: '',
    folder_id: 'f',
    credential_id: 'c',
    topic_aliases: {},
    registry_aliases: [],
  };
  const policy = new TopicPolicy(broker);
  assert.equal(policy.authorizePublish('/l'.repeat(98)).ok, false);
  assert.equal(policy.authorizeSubscribe('/l'.repeat(98)).ok, false);
  assert.equal(policy.authorizePublish(`${'l/'.repeat(97)}l`).ok, true);
});

test('a full persistent session is not recounted from the store for every message it drops', async () => {
  // The long mqtt-packets run slowed from 1,700 to 130 inputs/s: each QoS 1 message to one of the
  // many full offline sessions read that session's whole queue.
  let counted = 0;
  const store = async (_sub: { clientId: string }, _packet: { payload?: string }) => undefined;
  const persistence = { outgoingEnqueue: store, outgoingEnqueueCombi: store };
  const queued = async () => {
    counted++;
    return { messages: 5, bytes: 5 };
  };
  const limited = withQueueLimit(persistence, { maxMessages: 5, maxBytes: Number.POSITIVE_INFINITY }, queued, () => undefined);
  for (let message = 0; message < 500; message++) await limited.outgoingEnqueue({ clientId: 'full' }, { payload: 'x' });
  assert.equal(counted, 1);
});

test('a persistent session reconnecting while messages flow gets CONNACK first [MQTT-3.2.0-1]', async (t) => {
  // Found by the long mqtt-packets run once the edge kept its state in LevelDB: aedes restores the
  // session's subscriptions before it writes CONNACK, and messages published in between arrived first.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-connack-first-'));
  const state = await embeddedMqttPersistence(dataDir);
  const edge = await startEdge({
    link: inMemoryRegistryLink(),
    logger: pino({ level: 'silent' }),
    maxMessageBytes: 262_144,
    persistence: state.persistence,
  });
  t.after(async () => {
    await edge.close();
    await state.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  let address = 0;
  const connect = (username: string, clientId: string, clean: boolean) => {
    const connection = new MemoryConnection();
    edge.accept(connection, { remoteAddress: `10.9.0.${++address}`, remotePort: 1883 });
    connection.push(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId,
        clean,
        keepalive: 0,
        username,
        password: Buffer.from(PASSWORD),
      }),
    );
    return connection;
  };
  const device = connect(D, 'persistent', false);
  device.push(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$me/device/commands', qos: 1 }] }));
  await device.packet((packet) => packet.cmd === 'suback', 2000, 'SUBACK');
  device.hangUp();
  await device.whenClosed(2000);
  const registry = connect(R, 'sender', true);
  await registry.packet((packet) => packet.cmd === 'connack', 2000, 'CONNACK');
  for (let round = 0; round < 30; round++) {
    const back = connect(D, 'persistent', false);
    for (let message = 0; message < 10; message++) {
      registry.push(
        mqttPacket.generate({
          cmd: 'publish',
          topic: `$devices/${D}/commands`,
          payload: `${round}.${message}`,
          qos: (message % 2) as 0 | 1,
          messageId: round * 10 + message + 1,
          retain: false,
          dup: false,
        }),
      );
      await setImmediate();
    }
    await back.packet((packet) => packet.cmd === 'connack', 2000, 'CONNACK');
    assert.equal(back.received[0]?.cmd, 'connack', `round ${round}: ${back.received.map((packet) => packet.cmd).join(', ')}`);
    back.hangUp();
    await back.whenClosed(2000);
  }
});

replay(topicsTarget, [
  ['$monitoring// round-trips', { topic: '$monitoring//', filter: '', registryId: R, brokerId: 'A', otherBrokerId: R }],
]);

replay(aliasesAndMeTarget, [
  [
    'x/y/+/a through x/y/ → $devices/D/config/x',
    {
      validAliases: true,
      principal: {
        folder_id: 'fuzz-folder',
        credential_id: 'fuzz-credential',
        kind: 'device',
        id: D,
        registry_id: R,
        registry_aliases: [],
        topic_aliases: { 'x/y/': `$devices/${D}/config/x` },
      },
      topic: 'x/y/+/a',
    },
  ],
]);

const connect = {
  cmd: 'connect' as const,
  protocolId: 'MQTT' as const,
  protocolVersion: 4 as const,
  keepalive: 0,
  username: undefined,
  password: undefined,
  will: undefined,
};
replay(mqttPacketsTarget, [
  // The UNSUBSCRIBE arrived in the next chunk, before CONNECT was decided: UNSUBACK, then CONNACK 2.
  [
    'nothing answered before a refusing CONNACK [MQTT-3.1.4-5]',
    [
      {
        packets: [
          { ...connect, clean: false, clientId: '' },
          { cmd: 'unsubscribe', messageId: 1, unsubscriptions: [`$devices/${R}/events`] },
        ],
        damage: [],
        random: undefined,
        chunkSizes: [14],
        certificate: undefined,
      },
    ],
  ],
  // long/ → a 70,000-character target: the registry subscribed to $devices/# was disconnected, its
  // connection unable to carry the topic.
  [
    'a device publishing through an alias with a very long target does not disconnect its registry',
    [
      {
        packets: [
          { ...connect, clean: false, clientId: 'YCCmdLine' },
          { cmd: 'publish', topic: 'long/t', payload: Buffer.from([]), qos: 0, retain: false, dup: false },
        ],
        damage: [],
        random: undefined,
        chunkSizes: [],
        certificate: DEVICE_CERTIFICATE,
      },
    ],
  ],
]);

replay(apiRequestsTarget, [
  // page_size = 2^63-1: ts-proto refused to decode it and grpc-js answered INTERNAL.
  [
    'a well-formed request the generated code cannot decode → an API error, not INTERNAL',
    {
      method: '/yandex.cloud.iot.devices.v1.RegistryService/ListDeviceTopicAliases',
      made: 'fields',
      bytes: Uint8Array.from([16, 255, 255, 255, 255, 255, 255, 255, 255, 127]),
    },
  ],
  // The fixture broker imported again with created_at beyond JavaScript's dates (an Invalid Date).
  [
    'ImportBroker with an out-of-range created_at → an API error, not INTERNAL',
    {
      method: '/iotcore.migration.v1.ImportService/ImportBroker',
      made: 'fields',
      bytes: Uint8Array.from([
        10, 58, 10, 20, 97, 51, 54, 102, 117, 122, 122, 98, 114, 111, 107, 101, 114, 48, 48, 48, 48, 48, 48, 49, 18, 11, 102, 117, 122, 122,
        45, 102, 111, 108, 100, 101, 114, 26, 8, 8, 129, 128, 134, 193, 186, 251, 1, 34, 11, 102, 117, 122, 122, 45, 98, 114, 111, 107, 101,
        114,
      ]),
    },
  ],
  [
    'ReportActivity with an out-of-range last_online_time → an API error, not INTERNAL',
    {
      method: '/iotcore.auth.v1.EdgeAuthService/ReportActivity',
      made: 'damaged',
      bytes: Uint8Array.from([
        10, 52, 10, 20, 97, 114, 101, 102, 117, 122, 122, 100, 101, 118, 105, 99, 101, 48, 48, 48, 48, 48, 48, 49, 26, 2, 8, 0, 34, 4, 8, 0,
        16, 0, 42, 2, 8, 0, 50, 10, 8, 129, 128, 134, 193, 186, 251, 1, 16, 0, 58, 2, 16, 0,
      ]),
    },
  ],
  [
    'BrokerDataService.Publish to a 99-level topic → an API error, not INTERNAL',
    {
      method: '/yandex.cloud.iot.broker.v1.BrokerDataService/Publish',
      made: 'fields',
      bytes: Uint8Array.from([10, 20, ...Buffer.from(IDS.broker), 18, 196, 1, ...Buffer.from('/l'.repeat(98))]),
    },
  ],
]);
