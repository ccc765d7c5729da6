// The edge's connection-log buffer: LogOptions applied where the event happens, batches to the store, and a
// stalled store costing the MQTT path nothing but dropped (and counted) entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLog, type LogOwner } from '../../services/edge/connection-log.js';
import { LOG_LEVELS, type ConnectionLogEntry } from '../../services/contracts/connection-logs.js';

const device = (policy?: LogOwner['log_policy']): LogOwner => ({ kind: 'device', id: 'd1', registry_id: 'r1', log_policy: policy });

function logWith(sink: (entries: ConnectionLogEntry[]) => Promise<void>, capacity = 100, batchSize = 10) {
  const dropped: Record<string, number> = {};
  let written = 0;
  const log = new ConnectionLog({
    capacity,
    batchSize,
    flushIntervalMs: 60_000,
    sink,
    onDropped: (reason, count) => (dropped[reason] = (dropped[reason] ?? 0) + count),
    onWritten: (count) => (written += count),
    onStoreError: () => undefined,
  });
  return { log, dropped, written: () => written };
}

test('entries are filed under the registry and device, in order, with the payload minus empty fields', async () => {
  const stored: ConnectionLogEntry[] = [];
  const { log, written } = logWith(async (entries) => void stored.push(...entries));
  log.record(device(), LOG_LEVELS.INFO, 'connected', 'connected', { client_id: 'c1', cert: undefined, address: '' });
  log.record({ kind: 'broker', id: 'b1', registry_id: '' }, LOG_LEVELS.ERROR, 'publish_denied', 'denied', { topic: 't' });
  await log.flush();
  assert.equal(written(), 2);
  assert.deepEqual(
    stored.map(({ event, registry_id, broker_id, device_id, payload }) => ({ event, registry_id, broker_id, device_id, payload })),
    [
      { event: 'connected', registry_id: 'r1', broker_id: '', device_id: 'd1', payload: { client_id: 'c1' } },
      { event: 'publish_denied', registry_id: '', broker_id: 'b1', device_id: '', payload: { topic: 't' } },
    ],
  );
  assert.ok(stored[0]!.uid < stored[1]!.uid, "one edge's uids sort in recording order");
});

test('LogOptions: disabled keeps nothing, min_level keeps that level and above, no owner keeps nothing', async () => {
  const stored: ConnectionLogEntry[] = [];
  const { log } = logWith(async (entries) => void stored.push(...entries));
  log.record(device({ disabled: true, min_level: 0 }), LOG_LEVELS.FATAL, 'connected', 'x', {});
  log.record(device({ disabled: false, min_level: LOG_LEVELS.ERROR }), LOG_LEVELS.INFO, 'connected', 'info', {});
  log.record(device({ disabled: false, min_level: LOG_LEVELS.ERROR }), LOG_LEVELS.WARN, 'revoked', 'warn', {});
  log.record(device({ disabled: false, min_level: LOG_LEVELS.ERROR }), LOG_LEVELS.ERROR, 'auth_failed', 'error', {});
  log.record(undefined, LOG_LEVELS.ERROR, 'auth_failed', 'unknown username', {});
  assert.equal(log.pending(), 1, 'filtered events never enter the buffer');
  await log.flush();
  assert.deepEqual(
    stored.map((entry) => entry.message),
    ['error'],
  );
});

test('a stalled store: recording stays synchronous, the buffer stays bounded, the excess is counted', async () => {
  let calls = 0;
  const { log, dropped } = logWith(
    () => {
      calls++;
      return new Promise<void>(() => undefined);
    },
    50,
    10,
  );
  for (let i = 0; i < 30; i++) log.record(device(), LOG_LEVELS.INFO, 'connected', `c${i}`, {});
  void log.flush();
  void log.flush();
  assert.equal(calls, 1, 'one batch in flight at a time');
  const started = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) log.record(device(), LOG_LEVELS.INFO, 'connected', 'more', {});
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(log.pending(), 50, 'never more than the capacity');
  assert.equal(dropped.buffer_full, 30 - 10 + 100_000 - 50);
  assert.ok(ms < 1000, `100 000 events recorded in ${ms.toFixed(0)} ms`);
  await log.close(10);
});

test('a batch the store refuses is dropped and counted; the next batch goes again', async () => {
  let fail = true;
  const stored: ConnectionLogEntry[] = [];
  const { log, dropped } = logWith(async (entries) => {
    if (fail) throw new Error('store down');
    stored.push(...entries);
  });
  log.record(device(), LOG_LEVELS.INFO, 'connected', 'lost', {});
  await log.flush();
  fail = false;
  log.record(device(), LOG_LEVELS.INFO, 'disconnected', 'kept', {});
  await log.flush();
  assert.equal(dropped.store_error, 1);
  assert.deepEqual(
    stored.map((entry) => entry.message),
    ['kept'],
  );
});

test('batches hold at most batchSize entries', async () => {
  const sizes: number[] = [];
  const { log } = logWith(async (entries) => void sizes.push(entries.length), 100, 10);
  for (let i = 0; i < 25; i++) log.record(device(), LOG_LEVELS.INFO, 'connected', 'c', {});
  await log.close(1000);
  assert.deepEqual(sizes, [10, 10, 5]);
});
