// RecentDeliveries: a repeat within the window is refused whatever the arrival order; old IDs age out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentDeliveries } from '../../../services/edge/bus/recent-deliveries.js';

test('a message ID is delivered once, in any order', () => {
  const recent = new RecentDeliveries(8);
  assert.equal(recent.firstTime('b:5'), true);
  assert.equal(recent.firstTime('b:3'), true, 'a lower counter after a higher one still gets through (aedes would drop it)');
  assert.equal(recent.firstTime('b:5'), false);
  assert.equal(recent.firstTime('b:3'), false);
  assert.equal(recent.firstTime('other:3'), true, 'counters of different brokers do not collide');
});

test('the window is bounded: the oldest IDs are forgotten first', () => {
  const recent = new RecentDeliveries(3);
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(recent.firstTime(id), true);
  assert.equal(recent.firstTime('a'), true, 'a was evicted by d');
  assert.equal(recent.firstTime('c'), false);
  assert.equal(recent.firstTime('d'), false);
});
