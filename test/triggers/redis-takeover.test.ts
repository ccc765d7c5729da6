// At least once across a killed delivery process, in a cluster's queue: two worker processes share
// a trigger's Redis stream through the consumer group; one is SIGKILLed while it holds batches
// mid-delivery, and the other claims them (XAUTOCLAIM after the claim time). Every message reaches
// the endpoint; duplicates (batches the killed one had sent but not acknowledged) are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { redisTriggerQueue } from '../../services/common/trigger-queue/redis-queue.js';
import { startTriggerWorkers } from '../../services/registry/triggers/trigger-workers.js';
import { webhookClient } from '../../services/registry/triggers/webhook-client.js';
import { redisUrl } from '../support/servers.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'delivery-worker.js');
const MESSAGES = 600;
const CLAIM_IDLE_MS = 1_000;

test('two delivery processes on one Redis queue: one SIGKILLed mid-stream, the other takes over its batches, 0 lost', async (t) => {
  const started = Date.now();
  const url = await redisUrl();
  const receiver = await startWebhookReceiver();
  t.after(() => receiver.close());
  // Slow enough that both workers hold batches in flight when one is killed.
  receiver.delayMs = 40;
  const triggerId = `trg${randomUUID().replaceAll('-', '').slice(0, 17)}`;
  const trigger = {
    id: triggerId,
    folder_id: 'f',
    name: '',
    description: '',
    source: { kind: 'registry', id: 'areregistry000000000' },
    device_id: '',
    mqtt_topic: '',
    filter: '',
    batch_size: 10,
    batch_cutoff_ms: 1_000,
    retry_attempts: 3,
    retry_interval_ms: 100,
    url: receiver.url,
    bearer_token: '',
    signing_secret: 'iots_test',
  };
  const queue = redisTriggerQueue(url, { maxEntries: 100_000, claimIdleMs: CLAIM_IDLE_MS });
  t.after(async () => {
    await queue.remove(triggerId);
    await queue.close();
  });
  for (let i = 0; i < MESSAGES; i++)
    await queue.append(triggerId, {
      event_id: `e-${i}`,
      created_at: new Date().toISOString(),
      mqtt_topic: '$devices/d/events',
      device_id: 'd',
      payload: Buffer.from(`m-${i}`).toString('base64'),
    });

  const workers: ChildProcess[] = [];
  t.after(() => workers.forEach((worker) => worker.exitCode === null && worker.kill('SIGKILL')));
  for (let n = 0; n < 2; n++) {
    const worker = spawn(process.execPath, [WORKER, url, JSON.stringify(trigger), String(CLAIM_IDLE_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    workers.push(worker);
    await new Promise<void>((resolve) => worker.stdout!.once('data', () => resolve()));
    // Its warnings, if any, to the test's output (and the pipe never fills).
    worker.stdout!.pipe(process.stderr);
  }
  const eventIds = () =>
    receiver.requests.flatMap((request) =>
      request.body.messages.map((m: { event_metadata: { event_id: string } }) => m.event_metadata.event_id),
    );
  await receiver.until(() => eventIds().length >= MESSAGES / 4, 20_000);
  const victim = workers[0]!;
  victim.kill('SIGKILL');
  const atKill = eventIds().length;
  await receiver.until(() => new Set(eventIds()).size >= MESSAGES, 30_000);
  // Anything still owed by the killed worker would arrive within a claim time more.
  await new Promise((resolve) => setTimeout(resolve, CLAIM_IDLE_MS * 2));
  const ids = eventIds();
  const distinct = new Set(ids);
  const lost = Array.from({ length: MESSAGES }, (_, i) => `e-${i}`).filter((id) => !distinct.has(id));
  const duplicates = ids.length - distinct.size;
  console.log(
    `redis takeover: ${MESSAGES} messages, ${atKill} received when the worker was killed, ${ids.length} received in all, ` +
      `${lost.length} lost, ${duplicates} duplicates (${[...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))].slice(0, 20).join(' ')}), ${Date.now() - started} ms`,
  );
  assert.deepEqual(lost, []);
  assert.equal(await queue.length(triggerId), 0, 'every entry acknowledged and deleted');
});

test('a batch waiting for its cutoff longer than the claim time is neither stolen by another replica nor taken twice', async (t) => {
  const url = await redisUrl();
  const receiver = await startWebhookReceiver();
  t.after(() => receiver.close());
  const claimIdleMs = 300;
  const triggerId = `trg${randomUUID().replaceAll('-', '').slice(0, 17)}`;
  const trigger = {
    id: triggerId,
    folder_id: 'f',
    name: '',
    description: '',
    source: { kind: 'registry' as const, id: 'areregistry000000000' },
    device_id: '',
    mqtt_topic: '',
    filter: '',
    batch_size: 10,
    batch_cutoff_ms: 2_000,
    retry_attempts: 0,
    retry_interval_ms: 100,
    url: receiver.url,
    bearer_token: '',
    signing_secret: 'iots_test',
    created_at: new Date(),
  };
  const queue = redisTriggerQueue(url, { maxEntries: 100_000, claimIdleMs });
  t.after(async () => {
    await queue.remove(triggerId);
    await queue.close();
  });
  // Queued before the replicas start, so that one read takes all three: appended while both wait,
  // they may rightly split between the replicas (CI once saw [slow-0, slow-1] and [slow-2]).
  for (let i = 0; i < 3; i++)
    await queue.append(triggerId, {
      event_id: `slow-${i}`,
      created_at: new Date().toISOString(),
      mqtt_topic: '$devices/d/events',
      device_id: 'd',
      payload: Buffer.from(`m-${i}`).toString('base64'),
    });
  // Two replicas of the registry's delivery workers on one queue.
  const replicas = ['replica-a', 'replica-b'].map((consumer) =>
    startTriggerWorkers({
      store: { listAllTriggers: async () => [trigger] },
      queue,
      consumer,
      client: webhookClient({ timeoutMs: 5_000 }),
      deadLetters: { mqtt: async () => undefined },
      claimIdleMs,
      logger: pino({ level: 'silent' }),
    }),
  );
  t.after(() => Promise.all(replicas.map((replica) => replica.stop())));
  await receiver.until(() => receiver.requests.length >= 1, 10_000);
  // Well past the cutoff and several claim times: a second copy would have arrived.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const batches = receiver.requests.map((request) =>
    request.body.messages.map((m: { event_metadata: { event_id: string } }) => m.event_metadata.event_id).sort(),
  );
  assert.deepEqual(batches, [['slow-0', 'slow-1', 'slow-2']], 'one batch, each message once');
});
