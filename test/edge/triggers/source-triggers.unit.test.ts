// Which messages an edge hands to which trigger: registry and broker triggers through their rules,
// one event ID per message and trigger, the time it was accepted; rules learned once per source
// and refreshed after their time to live; and the intake that never waits: bounded, drops counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Principal } from '../../../services/contracts/principal.js';
import type { TriggerMessage, TriggerRule } from '../../../services/contracts/trigger.js';
import type { TriggerQueue } from '../../../services/contracts/trigger-queue.js';
import { levelTriggerQueue } from '../../../services/common/trigger-queue/level-queue.js';
import { SourceTriggers, TRIGGERS_TTL_MS } from '../../../services/edge/triggers/source-triggers.js';
import { TriggerIntake, type TriggerIntakeMetrics } from '../../../services/edge/triggers/trigger-intake.js';
import { Counter } from 'prom-client';

const principal = (kind: Principal['kind'], id: string, registry_id: string): Principal => ({
  kind,
  id,
  registry_id,
  folder_id: 'f',
  credential_id: 'c',
  topic_aliases: {},
  registry_aliases: [],
});
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(rules: Record<string, TriggerRule[]>) {
  const asked: string[] = [];
  const taken: Array<[string, TriggerMessage]> = [];
  let clock = Date.parse('2026-12-04T10:00:00Z');
  const triggers = new SourceTriggers(
    {
      sourceTriggers: async (kind, id) => {
        asked.push(`${kind}:${id}`);
        return rules[`${kind}:${id}`] ?? [];
      },
    },
    (triggerId, message) => taken.push([triggerId, message]),
    pino({ level: 'silent' }),
    () => clock,
  );
  return { triggers, asked, taken, advance: (ms: number) => (clock += ms) };
}

test('registry and broker messages through each rule, with event IDs, times and device IDs', async () => {
  const { triggers, taken, asked } = setup({
    'registry:reg1': [
      { id: 't-all', device_id: '', filter: '' },
      { id: 't-events', device_id: '', filter: '$devices/+/events/#' },
      { id: 't-dev2', device_id: 'dev2', filter: '' },
    ],
    'broker:brk1': [{ id: 't-broker', device_id: '', filter: 'plant/+/t' }],
  });
  triggers.offer(principal('device', 'dev1', 'reg1'), '$devices/dev1/events/t', Buffer.from('hi'));
  triggers.offer(principal('registry', 'reg1', 'reg1'), '$devices/dev2/commands', Buffer.from('stop'));
  triggers.offer(principal('broker', 'brk1', 'brk1'), 'plant/1/t', Buffer.from('21'));
  triggers.offer(principal('broker', 'brk1', 'brk1'), 'plant/1/h', Buffer.from('no'));
  await settle();
  assert.deepEqual(asked, ['registry:reg1', 'broker:brk1'], 'asked once per source while the answer is pending');
  assert.deepEqual(
    taken.map(([id, m]) => [id, m.mqtt_topic, m.device_id, Buffer.from(m.payload, 'base64').toString()]),
    [
      ['t-all', '$devices/dev1/events/t', 'dev1', 'hi'],
      ['t-events', '$devices/dev1/events/t', 'dev1', 'hi'],
      ['t-all', '$devices/dev2/commands', 'dev2', 'stop'],
      ['t-dev2', '$devices/dev2/commands', 'dev2', 'stop'],
      ['t-broker', 'plant/1/t', '', '21'],
    ],
  );
  assert.equal(new Set(taken.map(([, m]) => m.event_id)).size, taken.length, 'an event ID per message and trigger');
  assert.equal(taken[0]![1].created_at, '2026-12-04T10:00:00.000Z');
});

test('rules kept for their time to live, then asked for again before the next message is taken', async () => {
  const rules: Record<string, TriggerRule[]> = { 'registry:reg1': [] };
  const { triggers, taken, asked, advance } = setup(rules);
  const device = principal('device', 'dev1', 'reg1');
  triggers.offer(device, '$devices/dev1/events', Buffer.from('1'));
  await settle();
  rules['registry:reg1'] = [{ id: 't-new', device_id: '', filter: '' }];
  triggers.offer(device, '$devices/dev1/events', Buffer.from('2'));
  await settle();
  assert.equal(taken.length, 0, 'the new trigger is not known yet');
  advance(TRIGGERS_TTL_MS + 1);
  triggers.offer(device, '$devices/dev1/events', Buffer.from('3'));
  await settle();
  triggers.offer(device, '$devices/dev1/events', Buffer.from('4'));
  assert.deepEqual(asked, ['registry:reg1', 'registry:reg1']);
  assert.deepEqual(
    taken.map(([, m]) => Buffer.from(m.payload, 'base64').toString()),
    ['3', '4'],
    'the first message after the time to live is taken by the new trigger',
  );
});

function metrics(): TriggerIntakeMetrics {
  const registry = new Registry();
  return {
    queued: new Counter({ name: 'queued', help: 'q', registers: [registry] }),
    dropped: new Counter({ name: 'dropped', help: 'd', labelNames: ['reason'], registers: [registry] }),
  } as TriggerIntakeMetrics;
}
const message = (n: number): TriggerMessage => ({
  event_id: `e${n}`,
  created_at: '2026-12-04T10:00:00.000Z',
  mqtt_topic: '$devices/d/events',
  device_id: 'd',
  payload: Buffer.from(String(n)).toString('base64'),
});

test('the intake never waits: a full queue and too many appends in flight drop and count', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-trigger-queue-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const queue = await levelTriggerQueue(dir, { maxEntries: 3 });
  t.after(() => queue.close());
  const counted = metrics();
  const intake = new TriggerIntake(queue, pino({ level: 'silent' }), counted);
  for (let n = 0; n < 5; n++) intake.offer('t1', message(n));
  while (intake.pending > 0) await settle();
  assert.equal((await counted.queued.get()).values[0]?.value, 3);
  assert.deepEqual(
    (await counted.dropped.get()).values.map((v) => [v.labels.reason, v.value]),
    [['queue_full', 2]],
  );

  const stuck: TriggerQueue = { ...queue, append: () => new Promise<boolean>(() => {}) };
  const bounded = new TriggerIntake(stuck, pino({ level: 'silent' }), metrics(), 2);
  const offered = Date.now();
  for (let n = 0; n < 5; n++) bounded.offer('t1', message(n));
  assert.ok(Date.now() - offered < 100, 'offer() returns at once');
  assert.equal(bounded.pending, 2);
});

test('the LevelDB queue: in order, taken once while the process lives, again after a restart until acknowledged', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-trigger-queue-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let queue = await levelTriggerQueue(dir, { maxEntries: 100 });
  for (let n = 0; n < 12; n++) assert.equal(await queue.append(n < 10 ? 't1' : 't2', message(n)), true);
  const first = await queue.take('t1', 'c', 4);
  assert.deepEqual(
    first.map((entry) => entry.message.event_id),
    ['e0', 'e1', 'e2', 'e3'],
  );
  const second = await queue.take('t1', 'c', 4);
  assert.deepEqual(
    second.map((entry) => entry.message.event_id),
    ['e4', 'e5', 'e6', 'e7'],
  );
  await queue.ack(
    't1',
    first.map((entry) => entry.id),
  );
  assert.equal(await queue.length('t1'), 6);
  await queue.close();
  queue = await levelTriggerQueue(dir, { maxEntries: 100 });
  t.after(() => queue.close());
  assert.equal(await queue.length('t1'), 6, 'counted again at open');
  assert.deepEqual(
    (await queue.take('t1', 'c', 10)).map((entry) => entry.message.event_id),
    ['e4', 'e5', 'e6', 'e7', 'e8', 'e9'],
    'what was taken and not acknowledged comes back first',
  );
  assert.equal(await queue.append('t1', message(99)), true);
  assert.deepEqual(
    (await queue.take('t1', 'c', 10)).map((entry) => entry.message.event_id),
    ['e99'],
    'numbered after what is left',
  );
  await queue.remove('t2');
  assert.equal(await queue.length('t2'), 0);
  assert.deepEqual(await queue.take('t2', 'c', 10), []);
});
