// The in-process bus backlog under overload: QoS 0 messages that waited past the age bound are
// dropped oldest first and counted; QoS 1 messages are never dropped; fresh ones are delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from 'mqemitter';
import { boundedEmitter } from '../../../services/edge/bus/bounded-emitter.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a QoS 0 message older than the age bound is dropped, oldest first, and counted; QoS 1 never', async () => {
  const drops: string[] = [];
  const bus = boundedEmitter({ concurrency: 1, maxQueuedMessages: 1000, maxQueuedAgeMs: 100, onDrop: (reason) => drops.push(reason) });
  const delivered: string[] = [];
  let release: (() => void) | undefined;
  bus.emitter.on('t', (message, done) => {
    delivered.push(String(message.payload));
    // The first delivery (QoS 1: a QoS 0 one frees its slot at once) holds the only slot until
    // released: everything else waits in the backlog.
    if (message.payload === 'holder') release = done;
    else done();
  });
  const emit = (payload: string, qos: 0 | 1) => bus.emitter.emit({ topic: 't', payload, qos } as never);
  emit('holder', 1);
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
    ['holder', 1],
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

test('a QoS 0 delivery frees its slot once handed over: a subscriber that never completes one holds nothing', async () => {
  const bus = boundedEmitter({ concurrency: 1, maxQueuedMessages: 1000, maxQueuedAgeMs: 0 });
  const delivered: string[] = [];
  const listener = (message: Message, _done: () => void) => {
    delivered.push(String(message.payload));
  };
  bus.emitter.on('t', listener);
  for (const payload of ['a', 'b', 'c']) bus.emitter.emit({ topic: 't', payload, qos: 0 } as never);
  bus.emitter.emit({ topic: 't', payload: 'q1', qos: 1 } as never);
  bus.emitter.emit({ topic: 't', payload: 'after', qos: 0 } as never);
  await sleep(20);
  // QoS 1 still holds its slot until its delivery completes: what follows waits.
  assert.deepEqual(delivered, ['a', 'b', 'c', 'q1']);
  assert.equal(bus.backlog(), 1);
});

test('removeListener takes the listener given to on, though the bus holds it wrapped', async () => {
  const bus = boundedEmitter({ concurrency: 1, maxQueuedMessages: 1000, maxQueuedAgeMs: 0 });
  const heard: string[] = [];
  const kept = (message: Message, done: () => void) => {
    heard.push(`kept:${message.payload}`);
    done();
  };
  const removed = (message: Message, done: () => void) => {
    heard.push(`removed:${message.payload}`);
    done();
  };
  bus.emitter.on('t', kept);
  bus.emitter.on('t', removed);
  bus.emitter.emit({ topic: 't', payload: 'both', qos: 0 } as never);
  await new Promise<void>((resolve) => bus.emitter.removeListener('t', removed, resolve));
  bus.emitter.emit({ topic: 't', payload: 'one', qos: 0 } as never);
  await sleep(20);
  assert.deepEqual(heard, ['kept:both', 'removed:both', 'kept:one']);
});

test("the bus matches filters as MQTT does, for topics it has seen before too (its matcher keeps each topic's split)", async () => {
  const bus = boundedEmitter({ concurrency: 10, maxQueuedMessages: 1000 });
  const received: string[] = [];
  const subscribe = (filter: string) =>
    bus.emitter.on(filter, (message, done) => {
      received.push(`${filter} <- ${message.topic}`);
      done();
    });
  const publishAll = async (topics: string[]) => {
    received.length = 0;
    for (const topic of topics) bus.emitter.emit({ topic, payload: '', qos: 0 } as never);
    await sleep(10);
    return [...received].sort();
  };
  const topics = ['a/b/c', 'a//c', 'a', 'a/b', 'x/y'];
  subscribe('a/+/c');
  subscribe('a/#');
  const expected = ['a/# <- a', 'a/# <- a//c', 'a/# <- a/b', 'a/# <- a/b/c', 'a/+/c <- a//c', 'a/+/c <- a/b/c'];
  assert.deepEqual(await publishAll(topics), expected);
  // The same topics again (their split now kept), and a filter added after they were seen.
  assert.deepEqual(await publishAll(topics), expected);
  subscribe('+/y');
  assert.deepEqual(await publishAll(topics), [...expected, '+/y <- x/y'].sort());
});

test('the bus says whether a topic would reach a listener, as its filters change', async () => {
  const bus = boundedEmitter({ concurrency: 10, maxQueuedMessages: 1000 });
  const listener = (_message: Message, done: () => void) => done();
  assert.equal(bus.wants('r/d1/json'), false);
  await new Promise<void>((resolve) => bus.emitter.on('r/+/json', listener, resolve));
  assert.equal(bus.wants('r/d1/json'), true);
  assert.equal(bus.wants('r/d1/events'), false);
  await new Promise<void>((resolve) => bus.emitter.removeListener('r/+/json', listener, resolve));
  assert.equal(bus.wants('r/d1/json'), false);
});
