// The producer every Data Streams export writes with. Its settings are the delivery contract:
//   - idempotent: the broker numbers each producer's batches, so a batch resent after a lost
//     answer (timeout, reconnect) is recognised and not written twice;
//   - acks=all with one request in flight (forced by the client for an idempotent producer): a
//     record counts as exported only once every in-sync replica has it, and order is kept;
//   - a bounded number of retries: a send that still fails is handed back to the exporter, whose
//     bounded backlog decides what happens next, instead of waiting forever inside the client.
// Records are JSON strings keyed by device ID.
import { Producer, stringSerializers } from '@platformatic/kafka';
import { type KafkaConnection, kafkaClientOptions } from '../../common/kafka.js';

export type ExportProducer = Producer<string, string, string, string>;

/**
 * How long a request may go unanswered before the connection is dropped and the request sent
 * again (the client's default is 30 s), and how often that is tried.
 */
export const EXPORT_REQUEST_TIMEOUT_MS = 5_000;
export const EXPORT_PRODUCE_RETRIES = 5;
export const EXPORT_PRODUCE_RETRY_DELAY_MS = 500;

export function createExportProducer(connection: KafkaConnection, clientId: string): ExportProducer {
  return new Producer({
    ...kafkaClientOptions(connection),
    clientId,
    serializers: stringSerializers,
    idempotent: true,
    requestTimeout: EXPORT_REQUEST_TIMEOUT_MS,
    retries: EXPORT_PRODUCE_RETRIES,
    retryDelay: EXPORT_PRODUCE_RETRY_DELAY_MS,
    // A missing topic is a configuration error to report, not something to create with defaults.
    autocreateTopics: false,
  });
}
