// The wire form of the route bus's inbox entries (routed-bus.ts). An entry is what one edge had for
// another in one event-loop turn: a single stream field `b` holding records one after another,
//
//   record  = u32 field length, field (UTF-8: `m`, `s<key>`, `S<key>`), u32 message length, message
//   message = 0x01 flags [u16 messageId] f64 brokerCounter u8 brokerId length, brokerId,
//             [u16 clientId length, clientId] u32 topic length, topic,
//             payload (the rest)                                    — an ordinary aedes publish
//           | 0x02 msgpack                                          — anything else, field for field
//
// (integers little-endian; flags: bits 0-1 QoS, 2 retain, 3 dup, 4 a `messageId` key, 5 its value
// follows, 6 brokerId, clientId and topic are ASCII: read as Latin-1, two to three times faster;
// 7 a `clientId`, which aedes sets on what its clients publish). For the packets aedes emits the
// fixed layout takes 40% of msgpack's time to encode and a fifth to decode; msgpack keeps any other
// shape intact (MQTT 5 properties, fields a future aedes adds). One field per entry spares ioredis
// and Redis a value per message.
import { pack, unpack } from 'msgpackr';
import type { Message } from 'mqemitter';

const PUBLISH = 0x01;
const MSGPACK = 0x02;
const HAS_MESSAGE_ID_KEY = 0x10;
const HAS_MESSAGE_ID = 0x20;
const ASCII = 0x40;
const HAS_CLIENT_ID = 0x80;

/** A record's field for the receiving edge's own subscribers. */
export const SUBSCRIBERS_FIELD = 'm';

/** A record's field for one member of the shared-subscription group `key` on the receiving edge; `forwarded` once another edge passed it on. */
export function sharedGroupField(key: string, forwarded: boolean): string {
  return `${forwarded ? 'S' : 's'}${key}`;
}

export type RecordRecipient = { subscribers: true } | { subscribers: false; key: string; forwarded: boolean };
const SUBSCRIBERS: RecordRecipient = { subscribers: true };

/** Whom a record is for; undefined for a field this version does not know (ignored). */
export function recipientOf(field: string): RecordRecipient | undefined {
  if (field === SUBSCRIBERS_FIELD) return SUBSCRIBERS;
  if (field[0] === 's' || field[0] === 'S') return { subscribers: false, key: field.slice(1), forwarded: field[0] === 'S' };
  return undefined;
}

/** Encodes one message for any number of inbox entries. */
export function encodeMessage(message: Message): Buffer {
  if (!isPlainPublish(message)) return encodeAnyMessage(message);
  const brokerIdLength = Buffer.byteLength(message.brokerId);
  if (brokerIdLength > 0xff) return encodeAnyMessage(message);
  const topicLength = Buffer.byteLength(message.topic);
  const { clientId } = message;
  const clientIdLength = clientId === undefined ? 0 : Buffer.byteLength(clientId);
  if (clientIdLength > 0xffff) return encodeAnyMessage(message);
  const hasId = message.messageId !== undefined;
  const size =
    2 +
    (hasId ? 2 : 0) +
    8 +
    1 +
    brokerIdLength +
    (clientId === undefined ? 0 : 2 + clientIdLength) +
    4 +
    topicLength +
    message.payload.length;
  const ascii =
    brokerIdLength === message.brokerId.length && topicLength === message.topic.length && clientIdLength === (clientId?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = PUBLISH;
  out[1] =
    message.qos |
    (message.retain ? 0x04 : 0) |
    (message.dup ? 0x08 : 0) |
    ('messageId' in message ? HAS_MESSAGE_ID_KEY : 0) |
    (hasId ? HAS_MESSAGE_ID : 0) |
    (ascii ? ASCII : 0) |
    (clientId === undefined ? 0 : HAS_CLIENT_ID);
  let at = 2;
  if (hasId) at = out.writeUInt16LE(message.messageId!, at);
  at = out.writeDoubleLE(message.brokerCounter, at);
  at = out.writeUInt8(brokerIdLength, at);
  at += out.write(message.brokerId, at);
  if (clientId !== undefined) {
    at = out.writeUInt16LE(clientIdLength, at);
    at += out.write(clientId, at);
  }
  at = out.writeUInt32LE(topicLength, at);
  at += out.write(message.topic, at);
  out.set(message.payload, at);
  return out;
}

function encodeAnyMessage(message: Message): Buffer {
  return Buffer.concat([Buffer.of(MSGPACK), pack(message)]);
}

/** The message `encodeMessage` encoded; throws on bytes it did not write. */
export function decodeMessage(data: Buffer): Message {
  if (data[0] === MSGPACK) return unpack(data.subarray(1)) as Message;
  if (data[0] !== PUBLISH || data.length < 2) throw new Error(`unknown inbox message format ${data[0]}`);
  const flags = data[1]!;
  let at = 2;
  const messageId = flags & HAS_MESSAGE_ID ? data.readUInt16LE(at) : undefined;
  if (flags & HAS_MESSAGE_ID) at += 2;
  const brokerCounter = data.readDoubleLE(at);
  const encoding = flags & ASCII ? 'latin1' : 'utf8';
  const brokerId = readString(data, at + 9, data.readUInt8(at + 8), encoding);
  at += 9 + brokerId.bytes;
  const clientId = flags & HAS_CLIENT_ID ? readString(data, at + 2, data.readUInt16LE(at), encoding) : undefined;
  if (clientId) at += 2 + clientId.bytes;
  const topic = readString(data, at + 4, data.readUInt32LE(at), encoding);
  at += 4 + topic.bytes;
  const message: Message = {
    cmd: 'publish',
    brokerId: brokerId.text,
    brokerCounter,
    topic: topic.text,
    // A copy: a view would keep the whole Redis reply alive as long as any one payload is queued.
    payload: Buffer.from(data.subarray(at)),
    qos: flags & 0x03,
    retain: (flags & 0x04) !== 0,
    dup: (flags & 0x08) !== 0,
  };
  if (clientId) message.clientId = clientId.text;
  if (flags & HAS_MESSAGE_ID_KEY) message.messageId = messageId;
  return message;
}

/** One inbox entry's value: the records, in order. */
export function encodeEntry(fields: string[], messages: Buffer[]): Buffer {
  let size = 0;
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    size += 8 + (field === SUBSCRIBERS_FIELD ? 1 : Buffer.byteLength(field)) + messages[index]!.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    const message = messages[index]!;
    if (field === SUBSCRIBERS_FIELD) {
      at = out.writeUInt32LE(1, at);
      out[at++] = 0x6d;
    } else {
      at = out.writeUInt32LE(Buffer.byteLength(field), at);
      at += out.write(field, at);
    }
    at = out.writeUInt32LE(message.length, at);
    out.set(message, at);
    at += message.length;
  }
  return out;
}

/** The records of an entry's value, in order (field, encoded message); throws on a value that runs past its end. */
export function decodeEntry(entry: Buffer): Array<[field: string, message: Buffer]> {
  const records: Array<[string, Buffer]> = [];
  let at = 0;
  while (at < entry.length) {
    const field = readString(entry, at + 4, entry.readUInt32LE(at));
    at += 4 + field.bytes;
    const length = entry.readUInt32LE(at);
    at += 4;
    if (at + length > entry.length) throw new RangeError('inbox entry truncated');
    records.push([field.text, entry.subarray(at, at + length)]);
    at += length;
  }
  return records;
}

function readString(data: Buffer, start: number, bytes: number, encoding: 'utf8' | 'latin1' = 'utf8'): { text: string; bytes: number } {
  if (start + bytes > data.length) throw new RangeError('inbox record truncated');
  // The field of nearly every record: no string to decode.
  if (bytes === 1 && data[start] === 0x6d) return M;
  return { text: data.toString(encoding, start, start + bytes), bytes };
}
const M = { text: SUBSCRIBERS_FIELD, bytes: 1 };

type PlainPublish = Message & {
  cmd: 'publish';
  brokerId: string;
  brokerCounter: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  clientId?: string;
};

/** A packet as aedes-packet builds it, with nothing else on it. */
function isPlainPublish(message: Message): message is PlainPublish {
  const { messageId } = message;
  return (
    message.cmd === 'publish' &&
    typeof message.brokerId === 'string' &&
    Number.isSafeInteger(message.brokerCounter) &&
    typeof message.topic === 'string' &&
    Buffer.isBuffer(message.payload) &&
    (message.qos === 0 || message.qos === 1 || message.qos === 2) &&
    typeof message.retain === 'boolean' &&
    typeof message.dup === 'boolean' &&
    (messageId === undefined || (Number.isInteger(messageId) && messageId >= 0 && messageId <= 0xffff)) &&
    (message.clientId === undefined || typeof message.clientId === 'string') &&
    // Exactly those keys: anything more goes through msgpack, so no field is lost on the way.
    Object.keys(message).length === 8 + ('messageId' in message ? 1 : 0) + (message.clientId === undefined ? 0 : 1)
  );
}
