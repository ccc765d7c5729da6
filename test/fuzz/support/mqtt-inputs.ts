// MQTT 3.1.1 byte streams for the packet fuzz target: well-formed client packets built with
// mqtt-packet's generate (CONNECT as our registry, device or broker, or as nobody), then damaged:
// bit flips, truncation, inserted bytes, wrong fixed-header flags, wrong or malformed remaining
// lengths, or bytes that are random from the start; delivered in chunks of any size.
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { IDS, anyTopic } from './topic-inputs.js';
import { DEVICE_CERTIFICATE, PASSWORD } from './in-memory-registry-link.js';
import type { InputOf } from '../target.js';

const D = IDS.device;
const R = IDS.registry;
/** Topics of the fixture (allowed, forbidden, aliased, internal, broker) and anything else. */
const topic = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `$devices/${D}/events`,
      `$devices/${D}/events/a`,
      `$devices/${D}/state`,
      `$devices/${D}/state/s`,
      `$devices/${D}/commands`,
      `$devices/${D}/config`,
      `$registries/${R}/events`,
      `$registries/${R}/commands`,
      `$registries/${R}/config/c`,
      `$monitoring/${D}/json`,
      `$devices/${IDS.otherDevice}/commands`,
      `$devices/#`,
      `$devices/+/events`,
      `$registries/#`,
      '$me/device/events',
      '$me/device/commands',
      '$me/registry/commands',
      '$me/monitoring/json',
      'home/kitchen',
      'home/#',
      'glued/#',
      'glued/+',
      'cmd',
      'cmd/#',
      'long/t',
      'long/#',
      `$iot/${R}/devices/${D}/events`,
      '$iot/#',
      `$broker/${IDS.broker}/a`,
      'a/b',
      'a/#',
      '#',
      '+',
      '$SYS/#',
      '',
    ),
  },
  { weight: 1, arbitrary: anyTopic },
);
/** `value` one time in `times`, else undefined (fc.option's `freq` is the odds of undefined). */
const sometimes = <T>(value: fc.Arbitrary<T>, times: number) =>
  fc.oneof({ weight: times - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
const messageId = fc.integer({ min: 1, max: 65_535 });
const qos = fc.constantFrom<mqttPacket.QoS>(0, 1, 2);
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));

const version = fc.constantFrom(
  { protocolId: 'MQTT', protocolVersion: 4 },
  { protocolId: 'MQTT', protocolVersion: 4 },
  { protocolId: 'MQTT', protocolVersion: 4 },
  { protocolId: 'MQIsdp', protocolVersion: 3 },
  { protocolId: 'MQTT', protocolVersion: 5 },
) as fc.Arbitrary<Pick<mqttPacket.IConnectPacket, 'protocolId' | 'protocolVersion'>>;
const connect: fc.Arbitrary<mqttPacket.IConnectPacket> = fc
  .record({
    version,
    clientId: fc.oneof(fc.constantFrom('', 'c1', 'c2', 'YCCmdLine'), fc.string({ maxLength: 23 })),
    clean: fc.boolean(),
    keepalive: fc.oneof(fc.constantFrom(0, 1, 60), fc.integer({ min: 0, max: 65_535 })),
    username: fc.option(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(IDS.device, IDS.device, IDS.registry, IDS.broker) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      ),
      { nil: undefined, freq: 8 },
    ),
    password: fc.option(fc.oneof({ weight: 6, arbitrary: fc.constant(Buffer.from(PASSWORD)) }, { weight: 1, arbitrary: bytes(24) }), {
      nil: undefined,
      freq: 8,
    }),
    will: sometimes(fc.record({ topic: topic.filter((name) => name !== ''), payload: bytes(16), qos, retain: fc.boolean() }), 4),
  })
  // mqtt-packet will not build a password without a username [MQTT-3.1.2-22], an empty will topic
  // nor an MQTT 3.1 CONNECT without a client ID (damage may).
  .map(({ version, password, clientId, ...fields }) => ({
    cmd: 'connect',
    ...version,
    ...fields,
    clientId: clientId || version.protocolVersion !== 3 ? clientId : 'c3',
    password: fields.username === undefined ? undefined : password,
  }));

const clientPacket: fc.Arbitrary<mqttPacket.Packet> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ topic, payload: bytes(48), qos, retain: fc.boolean(), dup: fc.boolean(), messageId })
      .map(
        (fields): mqttPacket.IPublishPacket => ({ cmd: 'publish', ...fields, messageId: fields.qos === 0 ? undefined : fields.messageId }),
      ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ messageId, subscriptions: fc.array(fc.record({ topic, qos }), { minLength: 1, maxLength: 3 }) })
      .map((fields): mqttPacket.ISubscribePacket => ({ cmd: 'subscribe', ...fields })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ messageId, unsubscriptions: fc.array(topic, { minLength: 1, maxLength: 3 }) })
      .map((fields): mqttPacket.IUnsubscribePacket => ({ cmd: 'unsubscribe', ...fields })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback', 'suback', 'connack'), messageId)
      .map(([cmd, id]) => acknowledgement(cmd, id)),
  },
  { weight: 1, arbitrary: fc.constantFrom<mqttPacket.Packet>({ cmd: 'pingreq' }, { cmd: 'disconnect' }, { cmd: 'pingresp' }) },
  { weight: 1, arbitrary: connect },
);

/** Acknowledgements, including those only a server may send (a client sending them is a protocol error). */
function acknowledgement(cmd: string, messageId: number): mqttPacket.Packet {
  if (cmd === 'suback') return { cmd, messageId, granted: [0, 128] };
  if (cmd === 'connack') return { cmd, returnCode: 0, sessionPresent: false };
  return { cmd, messageId } as mqttPacket.Packet;
}

/** A remaining length, well encoded (any value up to MQTT's 268,435,455) or not. */
const remainingLength = fc.oneof(fc.integer({ min: 0, max: 268_435_455 }).map(varint), fc.uint8Array({ minLength: 1, maxLength: 5 }));

const damage = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('flags' as const), packet: fc.nat(), flags: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('length' as const), packet: fc.nat(), length: remainingLength }),
);
type Damage = InputOf<typeof damage>;

/** One client connection: what it sends, how it is damaged, how it is cut into chunks, and its TLS certificate. */
export const clientStream = fc.record({
  packets: fc
    .tuple(fc.option(connect, { nil: undefined, freq: 10 }), fc.array(clientPacket, { maxLength: 6 }))
    .map(([first, rest]) => (first ? [first, ...rest] : rest)),
  // Half the streams arrive intact, so the broker gets past CONNECT and handles the rest.
  damage: fc.oneof(fc.constant([]), fc.array(damage, { minLength: 1, maxLength: 3 })),
  /** Replaces everything with random bytes. */
  random: sometimes(fc.uint8Array({ minLength: 1, maxLength: 256 }), 6),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 4 }),
  certificate: fc.constantFrom(undefined, undefined, DEVICE_CERTIFICATE, 'cd'.repeat(20)),
});
export type ClientStream = InputOf<typeof clientStream>;

/** The bytes a stream sends, damaged as it says. */
export function bytesOf(stream: ClientStream): Buffer {
  if (stream.random) return Buffer.from(stream.random);
  let packets = stream.packets.map(encode);
  for (const change of stream.damage) {
    if (change.kind !== 'flags' && change.kind !== 'length') continue;
    const damaged = change.packet % packets.length;
    packets = packets.map((packet, index) => (index === damaged ? damagedHeader(packet, change) : packet));
  }
  let data = Buffer.concat(packets);
  for (const change of stream.damage) {
    if (data.length === 0) break;
    const at = 'at' in change ? change.at % data.length : 0;
    if (change.kind === 'flip') data[at]! ^= 1 << change.bit;
    if (change.kind === 'truncate') data = data.subarray(0, at);
    if (change.kind === 'insert') data = Buffer.concat([data.subarray(0, at), change.bytes, data.subarray(at)]);
  }
  return data;
}

function encode(packet: mqttPacket.Packet): Buffer {
  if (packet.cmd !== 'connect') return mqttPacket.generate(packet);
  // mqtt-packet refuses an empty client ID with CleanSession=0 [MQTT-3.1.3-7]; the flag is cleared by hand.
  const persistentWithoutId = !packet.clean && !packet.clientId;
  const data = mqttPacket.generate(
    { ...packet, clean: packet.clean || persistentWithoutId },
    { protocolVersion: packet.protocolVersion ?? 4 },
  );
  if (persistentWithoutId) data[headerLength(data) + 2 + packet.protocolId!.length + 1]! &= ~0x02;
  return data;
}

/** `data` cut into the stream's chunk sizes, the rest in one piece. */
export function chunksOf(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= data.length) break;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < data.length) chunks.push(data.subarray(offset));
  return chunks;
}

/** A packet with other fixed-header flags, or another remaining length (the body unchanged). */
function damagedHeader(packet: Buffer, change: Extract<Damage, { kind: 'flags' | 'length' }>): Buffer {
  if (change.kind === 'flags') return Buffer.concat([Buffer.from([(packet[0]! & 0xf0) | change.flags]), packet.subarray(1)]);
  return Buffer.concat([packet.subarray(0, 1), change.length, packet.subarray(headerLength(packet))]);
}

/** Bytes of the fixed header: the type and flags, then the remaining length (1 to 4 bytes). */
function headerLength(packet: Buffer): number {
  let end = 1;
  while (end < packet.length && packet[end]! & 0x80) end++;
  return end + 1;
}

/** MQTT's variable byte integer. */
function varint(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Uint8Array.from(out);
}
