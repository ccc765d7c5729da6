// A delivery worker process for the takeover test: the registry's trigger workers on a real Redis
// queue, serving one trigger given on the command line (the store's answer), until killed.
// argv: <redis URL> <trigger record as JSON> <claim idle ms>
import { pino } from 'pino';
import { redisTriggerQueue } from '../../../services/common/trigger-queue/redis-queue.js';
import { startTriggerWorkers } from '../../../services/registry/triggers/trigger-workers.js';
import { webhookClient } from '../../../services/registry/triggers/webhook-client.js';
import type { TriggerRecord } from '../../../services/registry/store/records.js';

const [url, triggerJson, claimIdle] = process.argv.slice(2) as [string, string, string];
const trigger = { ...JSON.parse(triggerJson), created_at: new Date() } as TriggerRecord;
const claimIdleMs = Number(claimIdle);
startTriggerWorkers({
  store: { listAllTriggers: async () => [trigger] },
  queue: redisTriggerQueue(url, { maxEntries: 100_000, claimIdleMs }),
  consumer: `worker-${process.pid}`,
  client: webhookClient({ timeoutMs: 5_000 }),
  deadLetters: {
    mqtt: async () => {
      throw new Error('no dead letters in this test');
    },
  },
  claimIdleMs,
  logger: pino({ level: 'warn' }),
});
console.log('ready');
