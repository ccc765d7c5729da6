// The route bus's inbox wire form: every message comes back as it went in (aedes' packets through
// the fixed layout, anything else through msgpack), records keep their order and fields, and bytes
// that were not written by the encoder are refused instead of read past their end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Message } from 'mqemitter';
import {
  decodeEntry,
  decodeMessage,
  encodeEntry,
  encodeMessage,
  recipientOf,
  SUBSCRIBERS_FIELD,
  sharedGroupField,
} from '../../../services/edge/bus/inbox-codec.js';

const roundTrip = (message: Message) => decodeMessage(encodeMessage(message));
/** A packet as aedes-packet 3 builds one for `broker.publish`: these keys, in this order. */
const aedesPacket = (fields: {
  topic: string;
  payload: Buffer;
  qos: number;
  retain?: boolean;
  brokerId: string;
  brokerCounter: number;
  clientId?: string;
}) => ({
  cmd: 'publish',
  brokerId: fields.brokerId,
  brokerCounter: fields.brokerCounter,
  topic: fields.topic,
  payload: fields.payload,
  qos: fields.qos,
  retain: fields.retain ?? false,
  dup: false,
  ...(fields.qos > 0 ? { messageId: undefined } : {}),
  // aedes sets it on what its clients publish.
  ...(fields.clientId === undefined ? {} : { clientId: fields.clientId }),
});

const publish = fc.record({
  topic: fc.string({ unit: 'grapheme', maxLength: 80 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  qos: fc.constantFrom(0, 1, 2),
  retain: fc.boolean(),
  brokerId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  brokerCounter: fc.nat(),
  clientId: fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: undefined }),
});

test('aedes packets come back field for field, key presence included', () => {
  fc.assert(
    fc.property(publish, (fields) => {
      const packet = aedesPacket(fields);
      assert.equal(encodeMessage(packet)[0], 0x01, 'the fixed layout');
      assert.deepEqual(roundTrip(packet), packet);
    }),
  );
});

test('a packet with a message ID, dup set, or an ASCII or non-ASCII topic keeps each', () => {
  const base = { cmd: 'publish', brokerId: 'edge-1', brokerCounter: 2 ** 40, payload: Buffer.from('x'), qos: 1, retain: true };
  for (const message of [
    { ...base, topic: 'a/b', dup: true, messageId: 65535 },
    { ...base, topic: 'тема/温度', dup: false, messageId: undefined },
    { ...base, topic: '', dup: false },
  ]) {
    const decoded = roundTrip(message);
    assert.deepEqual(decoded, message);
    assert.equal('messageId' in decoded, 'messageId' in message);
  }
});

test('any other shape goes through msgpack and keeps every field', () => {
  const packet = aedesPacket({ topic: 't', payload: Buffer.from('p'), qos: 1, brokerId: 'b', brokerCounter: 1 });
  for (const message of [
    { ...packet, properties: { userProperties: { a: '1' } }, clientId: 'device-1' },
    { ...packet, nl: true },
    { cmd: 'publish', topic: '$SYS/x/new/clients', payload: 'a string payload', qos: 0, retain: false },
    { ...packet, brokerId: 'x'.repeat(300) },
    { ...packet, brokerCounter: 1.5 },
  ]) {
    assert.equal(encodeMessage(message)[0], 0x02, JSON.stringify(Object.keys(message)));
    assert.deepEqual(roundTrip(message), message);
  }
});

test('an entry keeps its records and their order; a cut entry or unknown bytes are refused', () => {
  const messages = ['1', '2', '3'].map((n) => encodeMessage({ cmd: 'publish', topic: n, payload: Buffer.from(n), qos: 0 }));
  const fields = ['m', 's$share/g/a/#', 'Sгруппа'];
  const entry = encodeEntry(fields, messages);
  const records = decodeEntry(entry);
  assert.deepEqual(
    records.map(([field]) => field),
    fields,
  );
  assert.deepEqual(
    records.map(([, message]) => decodeMessage(message).topic),
    ['1', '2', '3'],
  );
  assert.deepEqual(decodeEntry(Buffer.alloc(0)), []);
  for (let length = 1; length < entry.length; length++) {
    // A cut inside a record's header or body throws; a cut between records is a shorter entry.
    try {
      assert.ok(decodeEntry(entry.subarray(0, length)).length < 3);
    } catch (error) {
      assert.ok(error instanceof RangeError, String(error));
    }
  }
  assert.throws(() => decodeMessage(Buffer.from([0x07, 0])), /unknown inbox message format 7/);
  assert.throws(() => decodeMessage(Buffer.from([0x01, 0, 1, 2])), RangeError);
});

test("a record's field names whom it is for, and a field this version does not know is ignored", () => {
  assert.deepEqual(recipientOf(SUBSCRIBERS_FIELD), { subscribers: true });
  for (const forwarded of [false, true])
    assert.deepEqual(recipientOf(sharedGroupField('$share/g/a/#', forwarded)), { subscribers: false, key: '$share/g/a/#', forwarded });
  // The wire form edges of different versions exchange during a rolling upgrade.
  assert.deepEqual([SUBSCRIBERS_FIELD, sharedGroupField('k', false), sharedGroupField('k', true)], ['m', 'sk', 'Sk']);
  assert.equal(recipientOf('x-future'), undefined);
  assert.equal(recipientOf('hello'), undefined);
});
