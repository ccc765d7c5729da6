// A failover is a burst of loss signals: the first is answered at once, and the rest by one more
// recovery once the burst has been quiet for a while (bus/loss-recovery.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LossRecovery } from '../../../services/edge/bus/loss-recovery.js';

const QUIET_MS = 40;

function counting(work: () => Promise<void> = async () => undefined) {
  const runs: number[] = [];
  const recovery = new LossRecovery(async () => {
    runs.push(Date.now());
    await work();
  }, QUIET_MS);
  return { recovery, runs };
}

test('a first signal recovers at once', () => {
  const { recovery, runs } = counting();
  recovery.signal();
  assert.equal(runs.length, 1);
});

test('signals while a recovery runs or soon after it are answered by one more recovery, after the quiet time', async () => {
  let finish!: () => void;
  const { recovery, runs } = counting(() => new Promise<void>((resolve) => (finish = resolve)));
  recovery.signal();
  recovery.signal();
  recovery.signal();
  assert.equal(runs.length, 1, 'no second recovery while the first runs');
  const finishedAt = Date.now();
  finish();
  await sleep(QUIET_MS / 2);
  recovery.signal();
  assert.equal(runs.length, 1, 'none in the quiet time either');
  await sleep(QUIET_MS * 2);
  assert.equal(runs.length, 2, 'one recovery for the signals of the burst');
  assert.ok(runs[1]! - finishedAt >= QUIET_MS - 2, `the second recovery waited (${runs[1]! - finishedAt} ms)`);
  finish();
  await sleep(QUIET_MS * 2);
  assert.equal(runs.length, 2, 'nothing pending: no third');
});

test('a burst that goes on delays the last recovery until it has been quiet since its last signal', async () => {
  const { recovery, runs } = counting();
  recovery.signal();
  // A signal every QUIET_MS / 2 for 4 × QUIET_MS: never quiet long enough.
  let lastSignalAt = 0;
  for (let i = 0; i < 8; i++) {
    await sleep(QUIET_MS / 2);
    recovery.signal();
    lastSignalAt = Date.now();
  }
  assert.equal(runs.length, 1, 'no recovery in the middle of the burst');
  await sleep(QUIET_MS * 2);
  assert.equal(runs.length, 2, 'one recovery after the burst');
  assert.ok(runs[1]! - lastSignalAt >= QUIET_MS - 2, `it came after the last signal's quiet time (${runs[1]! - lastSignalAt} ms)`);
});

test('a quiet time with no signal ends without a recovery, and the next signal recovers at once', async () => {
  const { recovery, runs } = counting();
  recovery.signal();
  await sleep(QUIET_MS * 2);
  assert.equal(runs.length, 1);
  recovery.signal();
  assert.equal(runs.length, 2);
});

test('a recovery that fails does not stop the ones after it', async () => {
  let calls = 0;
  const recovery = new LossRecovery(async () => {
    calls++;
    throw new Error('Redis still away');
  }, QUIET_MS);
  recovery.signal();
  recovery.signal();
  await sleep(QUIET_MS * 3);
  assert.equal(calls, 2);
});
