// The delivery workers of this registry process: one TriggerDelivery per stored trigger, started
// and stopped as triggers are made and deleted (the store is read every REFRESH_MS). In a cluster
// every registry replica runs them all: the consumer group shares each trigger's queue among them,
// and a replica that dies leaves its batches to be claimed by the others.
import type { TriggerQueue } from '../../contracts/trigger-queue.js';
import type { Logger } from '../../common/logging.js';
import type { RegistryStore } from '../store/contract.js';
import { type DeadLetterSink, TriggerDelivery } from './trigger-delivery.js';
import { triggerMetrics } from './trigger-metrics.js';
import type { WebhookClient } from './webhook-client.js';

export const REFRESH_MS = 1_000;

export interface TriggerWorkersOptions {
  store: Pick<RegistryStore, 'listAllTriggers'>;
  queue: TriggerQueue;
  consumer: string;
  client: WebhookClient;
  deadLetters: DeadLetterSink;
  claimIdleMs: number;
  logger: Logger;
}

export interface TriggerWorkers {
  stop(): Promise<void>;
}

export function startTriggerWorkers(options: TriggerWorkersOptions): TriggerWorkers {
  const running = new Map<string, TriggerDelivery>();
  const metrics = triggerMetrics();
  let stopped = false;
  const refresh = async () => {
    const triggers = await options.store.listAllTriggers();
    if (stopped) return;
    const current = new Set(triggers.map((trigger) => trigger.id));
    for (const trigger of triggers) {
      if (running.has(trigger.id)) continue;
      const delivery = new TriggerDelivery(trigger, { ...options, metrics });
      running.set(trigger.id, delivery);
      delivery.start();
    }
    for (const [id, delivery] of running) {
      if (current.has(id)) continue;
      running.delete(id);
      await delivery.stop();
      // What a deleted trigger had not delivered goes with it.
      await options.queue.remove(id);
      metrics.backlog.remove({ trigger: id });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () =>
    void refresh()
      .catch((error: unknown) => options.logger.warn({ err: error }, 'could not read the triggers; retrying'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, REFRESH_MS);
      });
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...running.values()].map((delivery) => delivery.stop()));
      options.client.close();
    },
  };
}
