// yc-style --since/--until and the --filter of `iotcore … logs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogFilter, parseLogTime } from '../../services/cli/log-query.js';

const now = new Date('2026-12-04T10:00:00.000Z');

test('--since/--until: RFC 3339, HH:MM:SS today in UTC, durations back from now', () => {
  assert.equal(parseLogTime('--since', '2026-12-03T03:12:00Z', now).toISOString(), '2026-12-03T03:12:00.000Z');
  assert.equal(parseLogTime('--since', '2026-12-03T06:12:00+03:00', now).toISOString(), '2026-12-03T03:12:00.000Z');
  assert.equal(parseLogTime('--since', '03:12:00', now).toISOString(), '2026-12-04T03:12:00.000Z');
  assert.equal(parseLogTime('--since', '2h', now).toISOString(), '2026-12-04T08:00:00.000Z');
  assert.equal(parseLogTime('--since', '3h30m ago', now).toISOString(), '2026-12-04T06:30:00.000Z');
  assert.equal(parseLogTime('--since', '90s', now).toISOString(), '2026-12-04T09:58:30.000Z');
  for (const bad of ['yesterday', '25:00:00', '2h ahead', '']) assert.throws(() => parseLogTime('--since', bad, now), /--since/);
});

test('--filter: level comparisons, events and devices with alternatives, joined by AND', () => {
  assert.deepEqual(parseLogFilter('level>=WARN AND event=auth_failed|publish_denied and device=d1', undefined), {
    levels: [4, 5, 6],
    events: ['auth_failed', 'publish_denied'],
    device_ids: ['d1'],
  });
  assert.deepEqual(parseLogFilter('level=info', undefined).levels, [3]);
  assert.deepEqual(parseLogFilter('level<WARN', 'INFO,ERROR').levels, [3], '--levels and --filter both apply');
  assert.deepEqual(parseLogFilter('device_id="d2"', undefined).device_ids, ['d2']);
  assert.deepEqual(parseLogFilter(undefined, undefined), { levels: [], events: [], device_ids: [] });
  assert.throws(() => parseLogFilter('level>FATAL', undefined), /exclude every level/);
  assert.throws(() => parseLogFilter('color=red', undefined), /unknown field/);
  assert.throws(() => parseLogFilter('event>=x', undefined), /only =/);
  assert.throws(() => parseLogFilter('level=LOUD', undefined), /unknown level/);
});
