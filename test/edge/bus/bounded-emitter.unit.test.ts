// The in-process bus backlog under overload: QoS 0 messages that waited past the age bound are
// dropped oldest first and counted; QoS 1 messages are never dropped; fresh ones are delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedEmitter } from '../../../services/edge/bus/bounded-emitter.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a QoS 0 message older than the age bound is dropped, oldest first, and counted; QoS 1 never', async () => {
  const drops: string[] = [];
  const bus = boundedEmitter({ concurrency: 1, maxQueuedMessages: 1000, maxQueuedAgeMs: 100, onDrop: (reason) => drops.push(reason) });
  const delivered: string[] = [];
  let release: (() => void) | undefined;
  bus.emitter.on('t', (message, done) => {
    delivered.push(String(message.payload));
    // The first delivery holds the only slot until released: everything else waits in the backlog.
    if (message.payload === 'holder') release = done;
    else done();
  });
  const emit = (payload: string, qos: 0 | 1) => bus.emitter.emit({ topic: 't', payload, qos } as never);
  emit('holder', 0);
  emit('old-0', 0);
  emit('old-1', 0);
  emit('old-qos1', 1);
  emit('old-2', 0);
  await sleep(150);
  emit('fresh-0', 0);
  emit('fresh-qos1', 1);
  assert.equal(bus.backlog(), 6);
  release!();
  await sleep(50);
  // old-0 and old-1 go; old-qos1 stops the sweep at the head, so old-2 (behind it) is checked
  // when it reaches the head, by then also older than the bound.
  assert.deepEqual(delivered, ['holder', 'old-qos1', 'fresh-0', 'fresh-qos1']);
  assert.deepEqual(drops, ['stale', 'stale', 'stale']);
  assert.equal(bus.dropped(), 3);
});

test('the count bound still drops new QoS 0 past maxQueuedMessages, and keeps QoS 1', async () => {
  const drops: string[] = [];
  const bus = boundedEmitter({ concurrency: 1, maxQueuedMessages: 2, maxQueuedAgeMs: 0, onDrop: (reason) => drops.push(reason) });
  const delivered: string[] = [];
  let release: (() => void) | undefined;
  bus.emitter.on('t', (message, done) => {
    delivered.push(String(message.payload));
    if (message.payload === 'holder') release = done;
    else done();
  });
  for (const [payload, qos] of [
    ['holder', 0],
    ['a', 0],
    ['b', 0],
    ['c', 0],
    ['d', 1],
  ] as const)
    bus.emitter.emit({ topic: 't', payload, qos } as never);
  release!();
  await sleep(20);
  assert.deepEqual(delivered, ['holder', 'a', 'b', 'd']);
  assert.deepEqual(drops, ['slow_consumer']);
});
