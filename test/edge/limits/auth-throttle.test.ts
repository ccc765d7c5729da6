import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from '../../../services/edge/limits/auth-throttle.js';

test('auth throttle: free failures, doubling back-off capped at 60 s, reset by success or time', () => {
  let now = 0;
  const throttle = new AuthThrottle(() => now);
  const keys = ['ip:10.0.0.1', 'user:dev'];
  for (let attempt = 0; attempt < 5; attempt++) throttle.failure(keys);
  assert.equal(throttle.isBlocked(keys), false, 'five failures are free');
  throttle.failure(keys);
  assert.equal(throttle.isBlocked(keys), true);
  now += 1001;
  assert.equal(throttle.isBlocked(keys), false, 'first back-off is 1 s');
  throttle.failure(keys);
  now += 1500;
  assert.equal(throttle.isBlocked(keys), true, 'then 2 s');
  for (let attempt = 0; attempt < 20; attempt++) throttle.failure(keys);
  now += 60_001;
  assert.equal(throttle.isBlocked(keys), false, 'never more than 60 s');
  assert.equal(throttle.isBlocked(['user:other']), false, 'other users are unaffected');
  throttle.success(['user:dev']);
  assert.equal(throttle.isBlocked(['user:dev']), false);
  throttle.failure(['ip:10.0.0.1']);
  now += 16 * 60_000;
  throttle.failure(['ip:10.0.0.1']);
  assert.equal(throttle.isBlocked(['ip:10.0.0.1']), false, 'old failures are forgotten');
});
