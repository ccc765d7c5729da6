// A failover is a burst of loss signals: one recovery answers a burst, and the burst's last signal
// is always followed by a recovery (bus/loss-recovery.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LossRecovery } from '../../../services/edge/bus/loss-recovery.js';

const HOLD_MS = 40;

function counting(work: () => Promise<void> = async () => undefined) {
  const runs: number[] = [];
  const recovery = new LossRecovery(async () => {
    runs.push(Date.now());
    await work();
  }, HOLD_MS);
  return { recovery, runs };
}

test('a first signal recovers at once', () => {
  const { recovery, runs } = counting();
  recovery.signal();
  assert.equal(runs.length, 1);
});

test('signals while a recovery runs or is held are answered by one more recovery, after the hold', async () => {
  let finish!: () => void;
  const { recovery, runs } = counting(() => new Promise<void>((resolve) => (finish = resolve)));
  recovery.signal();
  recovery.signal();
  recovery.signal();
  assert.equal(runs.length, 1, 'no second recovery while the first runs');
  const finishedAt = Date.now();
  finish();
  await sleep(HOLD_MS / 2);
  recovery.signal();
  assert.equal(runs.length, 1, 'none during the hold either');
  await sleep(HOLD_MS);
  assert.equal(runs.length, 2, 'one recovery for the signals of the burst');
  assert.ok(runs[1]! - finishedAt >= HOLD_MS - 2, `the second recovery waited for the hold (${runs[1]! - finishedAt} ms)`);
  finish();
  await sleep(HOLD_MS * 2);
  assert.equal(runs.length, 2, 'nothing pending: no third');
});

test('a quiet hold ends without a recovery, and the next signal recovers at once', async () => {
  const { recovery, runs } = counting();
  recovery.signal();
  await sleep(HOLD_MS * 2);
  assert.equal(runs.length, 1);
  recovery.signal();
  assert.equal(runs.length, 2);
});

test('a recovery that fails does not stop the ones after it', async () => {
  let calls = 0;
  const recovery = new LossRecovery(async () => {
    calls++;
    throw new Error('Redis still away');
  }, HOLD_MS);
  recovery.signal();
  recovery.signal();
  await sleep(HOLD_MS * 2);
  assert.equal(calls, 2);
});
