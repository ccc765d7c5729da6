// The export backlog: bounded by records and bytes, tail drop with a count, and a head that
// leaves only when acknowledged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportBacklog } from '../../../services/edge/export/export-backlog.js';

const record = (n: number) => ({ topic: 't', key: 'd1', value: String(n).padStart(4, '0') });

test('a full backlog drops what is offered and counts it; what is queued stays in order', () => {
  const backlog = new ExportBacklog({ maxRecords: 3, maxBytes: 1_000_000 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backlog.offer(record(n))),
    [true, true, true, false, false],
  );
  assert.equal(backlog.dropped, 2);
  assert.deepEqual(
    backlog.head(10).map((queued) => queued.value),
    ['0001', '0002', '0003'],
  );
});

test('the byte bound counts too, and acknowledging frees room', () => {
  // Each record: 2 × (1 + 2 + 4) = 14 bytes.
  const backlog = new ExportBacklog({ maxRecords: 100, maxBytes: 30 });
  assert.equal(backlog.offer(record(1)), true);
  assert.equal(backlog.offer(record(2)), true);
  assert.equal(backlog.offer(record(3)), false);
  assert.equal(backlog.bytes, 28);
  backlog.acknowledge(1);
  assert.equal(backlog.bytes, 14);
  assert.equal(backlog.offer(record(4)), true);
  assert.deepEqual(
    backlog.head(1).map((queued) => queued.value),
    ['0002'],
  );
});

test('the head is left in place until acknowledged (a failed batch is sent again)', () => {
  const backlog = new ExportBacklog({ maxRecords: 10, maxBytes: 10_000 });
  for (let n = 1; n <= 5; n++) backlog.offer(record(n));
  assert.deepEqual(backlog.head(2), backlog.head(2));
  assert.equal(backlog.length, 5);
  backlog.acknowledge(2);
  assert.deepEqual(
    backlog.head(10).map((queued) => queued.value),
    ['0003', '0004', '0005'],
  );
  backlog.acknowledge(10);
  assert.equal(backlog.length, 0);
  assert.equal(backlog.bytes, 0);
});
