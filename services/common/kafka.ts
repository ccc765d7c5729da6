// How iotcore reaches a Kafka cluster (the Data Streams export): the brokers of `--kafka-brokers`,
// optionally TLS and SASL (PLAIN or SCRAM, what managed Kafka services and Kafka-protocol gateways
// commonly ask for), turned into @platformatic/kafka client options.
import type { ConnectionOptions } from '@platformatic/kafka';

export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface KafkaConnection {
  /** `host:port` of some brokers; the client finds the rest of the cluster from them. */
  brokers: string[];
  /** TLS to the brokers; `ca` (PEM) replaces the system roots when given. */
  tls?: { ca?: string };
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?):(\d{1,5})$/;

/** `--kafka-brokers`: a comma-separated list of `host:port`; throws naming the first bad entry. */
export function parseKafkaBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('no Kafka broker given (host:port[,host:port…])');
  for (const broker of brokers) {
    const port = Number(BROKER.exec(broker)?.[1]);
    if (!(port >= 1 && port <= 65535)) throw new Error(`not a Kafka broker address (host:port): ${broker}`);
  }
  return brokers;
}

/** The Kafka connection of `iotcore serve`'s settings; undefined without --kafka-brokers. */
export function kafkaConnectionOf(
  settings: {
    kafkaBrokers?: string[];
    kafkaSecurity: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
    kafkaSaslMechanism: KafkaSaslMechanism;
    kafkaSaslUsername?: string;
    kafkaSaslPassword?: string;
  },
  tlsCa?: string,
): KafkaConnection | undefined {
  if (!settings.kafkaBrokers) return undefined;
  const tls = settings.kafkaSecurity === 'SSL' || settings.kafkaSecurity === 'SASL_SSL';
  const sasl = settings.kafkaSecurity.startsWith('SASL_');
  return {
    brokers: settings.kafkaBrokers,
    ...(tls && { tls: tlsCa ? { ca: tlsCa } : {} }),
    ...(sasl && {
      sasl: {
        mechanism: settings.kafkaSaslMechanism,
        username: settings.kafkaSaslUsername ?? '',
        password: settings.kafkaSaslPassword ?? '',
      },
    }),
  };
}

/** The connection part of every client's options. */
export function kafkaClientOptions(connection: KafkaConnection): ConnectionOptions & { bootstrapBrokers: string[] } {
  return {
    bootstrapBrokers: connection.brokers,
    ...(connection.tls && { tls: connection.tls.ca ? { ca: connection.tls.ca } : {} }),
    ...(connection.sasl && { sasl: { ...connection.sasl } }),
  };
}
