// Triggers to HTTP in a process: the durable queue between the edges that take messages and the
// registry's delivery workers, and those workers with their dead letters.
//   - cluster (--redis-url): Redis Streams, one per trigger, shared by every edge (appending) and
//     every registry replica (consuming through one consumer group);
//   - all-in-one without Redis: LevelDB in DATA_DIR/trigger-queue, edge and workers in this process.
// The workers run where the registry runs (roles all and registry): they read the triggers with
// their endpoints and secrets from the store, which the edges never hold.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServeConfig } from '../common/config.js';
import { kafkaConnectionOf } from '../common/kafka.js';
import type { Logger } from '../common/logging.js';
import { levelTriggerQueue } from '../common/trigger-queue/level-queue.js';
import { redisTriggerQueue } from '../common/trigger-queue/redis-queue.js';
import type { DataPlane } from '../contracts/data-plane.js';
import type { TriggerQueue } from '../contracts/trigger-queue.js';
import { loadKafkaProducer } from '../edge/export/load-kafka-producer.js';
import type { RegistryStore } from '../registry/store/contract.js';
import type { DeadLetterSink } from '../registry/triggers/trigger-delivery.js';
import { startTriggerWorkers, type TriggerWorkers } from '../registry/triggers/trigger-workers.js';
import { webhookClient } from '../registry/triggers/webhook-client.js';

/** The queue of this process, or undefined (with a warning) where triggers cannot work. */
export async function openTriggerQueue(config: ServeConfig, logger: Logger): Promise<TriggerQueue | undefined> {
  if (config.redisUrl)
    return redisTriggerQueue(config.redisUrl, { maxEntries: config.triggerBacklogMessages, claimIdleMs: config.triggerClaimIdleMs });
  if (config.role === 'all')
    return levelTriggerQueue(path.join(config.dataDir, 'trigger-queue'), { maxEntries: config.triggerBacklogMessages });
  logger.warn('no --redis-url: triggers take no messages in a separate registry or edge process (their queue is in Redis)');
  return undefined;
}

export async function startDeliveryWorkers(
  config: ServeConfig,
  logger: Logger,
  options: { store: RegistryStore; queue: TriggerQueue; dataPlane: () => DataPlane | undefined },
): Promise<TriggerWorkers> {
  const ca = config.kafkaTlsCa ? await readFile(config.kafkaTlsCa, 'utf8') : undefined;
  const kafka = kafkaConnectionOf(config, ca);
  const producer = kafka && (await loadKafkaProducer()).createExportProducer(kafka, `iotcore-dead-letters-${process.pid}`);
  const deadLetters: DeadLetterSink = {
    async mqtt(source, topic, body) {
      const plane = options.dataPlane();
      if (!plane) throw new Error('no MQTT node in this process (a registry replica needs --redis-url and --mongo-url)');
      await plane.publish(source, topic, Buffer.from(body));
    },
    ...(producer && {
      kafka: async (topic: string, key: string, body: string) => {
        await producer.send({ messages: [{ topic, key, value: body }] });
      },
    }),
  };
  const workers = startTriggerWorkers({
    store: options.store,
    queue: options.queue,
    consumer: `${os.hostname()}-${process.pid}`,
    client: webhookClient({
      timeoutMs: config.triggerRequestTimeoutMs,
      extraCa: config.triggerTlsCa ? await readFile(config.triggerTlsCa, 'utf8') : undefined,
    }),
    deadLetters,
    claimIdleMs: config.triggerClaimIdleMs,
    logger,
  });
  return {
    async stop() {
      await workers.stop();
      await producer?.close(true);
    },
  };
}
