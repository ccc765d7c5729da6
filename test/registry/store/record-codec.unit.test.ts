// The embedded store's record text: what is stored must read back the same, and text stored by
// earlier versions must still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord } from '../../../services/registry/store/record-codec.js';

test('dates and byte arrays survive the round trip, nested and in arrays', () => {
  const bytes = new Uint8Array([9, 1, 2, 3, 9]);
  const record = {
    id: 'are1',
    created_at: new Date('2026-11-25T11:00:00.123Z'),
    monitoring: { last_auth_time: new Date('2026-12-01T00:00:00.000Z'), last_auth_ip: '10.0.0.1' },
    // A view into a larger buffer: only its own bytes are stored.
    public_key: bytes.subarray(1, 4),
    certificates: [{ fingerprint: 'ab', created_at: new Date(0) }],
    labels: {},
    gone: undefined,
  };
  const decoded = decodeRecord(encodeRecord(record)) as typeof record;
  assert.deepEqual(decoded, {
    id: 'are1',
    created_at: new Date('2026-11-25T11:00:00.123Z'),
    monitoring: { last_auth_time: new Date('2026-12-01T00:00:00.000Z'), last_auth_ip: '10.0.0.1' },
    public_key: new Uint8Array([1, 2, 3]),
    certificates: [{ fingerprint: 'ab', created_at: new Date(0) }],
    labels: {},
  });
  assert.ok(decoded.created_at instanceof Date);
});

test('the stored text is the tagged JSON earlier versions wrote and read', () => {
  const text = '{"id":"are1","created_at":{"$date":"2026-11-25T11:00:00.000Z"},"key":{"$bytes":"AQID"},"tags":["a"]}';
  const record = { id: 'are1', created_at: new Date('2026-11-25T11:00:00.000Z'), key: new Uint8Array([1, 2, 3]), tags: ['a'] };
  assert.equal(encodeRecord(record), text);
  assert.deepEqual(decodeRecord(text), record);
});
