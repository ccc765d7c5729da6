// The MQTT side of a process: the edge with its bus, MQTT state, brute-force counters and
// readiness checks. An edge process serves devices on its listeners; a registry replica in a
// cluster runs one without listeners, so the data-plane publish API (gRPC and REST) can put messages
// on the cluster's bus and MQTT state as any edge does.
import { readFile } from 'node:fs/promises';
import type { ServeConfig } from '../common/config.js';
import { hostPort } from '../common/host-port.js';
import type { Logger } from '../common/logging.js';
import type { ReadinessCheck } from '../common/ops-http.js';
import type { RegistryLink } from '../contracts/registry-link.js';
import type { RevocationSource } from '../contracts/revocations.js';
import { startEdge, type RunningEdge } from '../edge/edge.js';
import { localBus } from '../edge/bus/local-bus.js';
import { localServerTls } from './server-tls.js';
import { embeddedMqttPersistence } from '../edge/persistence/embedded.js';
import { mongoMqttPersistence } from '../edge/persistence/mongo.js';
import { redisBus } from '../edge/bus/redis-bus.js';
import { routedBus } from '../edge/bus/routed-bus.js';
import { openRedis } from '../common/redis.js';
import { localReport, reportEdge } from './cluster-state.js';
import { redisFailureCounters } from '../edge/limits/shared-auth-failures.js';
import { kafkaConnectionOf } from '../common/kafka.js';
import { ExportBacklog } from '../edge/export/export-backlog.js';
import { exportMetrics } from '../edge/export/export-metrics.js';
import { KafkaExporter } from '../edge/export/kafka-exporter.js';
import { loadKafkaProducer } from '../edge/export/load-kafka-producer.js';
import { RegistryExports } from '../edge/export/registry-exports.js';
import { allExports } from '../edge/export/message-exports.js';
import { SourceTriggers } from '../edge/triggers/source-triggers.js';
import { TriggerIntake } from '../edge/triggers/trigger-intake.js';
import type { TriggerQueue } from '../contracts/trigger-queue.js';

export interface MqttNode {
  edge: RunningEdge;
  checks: ReadinessCheck[];
  /** In the order they must run. */
  closers: Array<() => Promise<void>>;
}

export interface MqttNodeOptions {
  link: RegistryLink;
  /** The cluster's revocation feed when this process reads it itself (the link's otherwise). */
  revocations?: RevocationSource;
  /** Serve MQTT clients on the configured listeners; false for a publish-only node. */
  listeners: boolean;
  /** Where the messages triggers take are queued for delivery; triggers take nothing here without it. */
  triggerQueue?: TriggerQueue;
}

export async function startMqttNode(config: ServeConfig, logger: Logger, options: MqttNodeOptions): Promise<MqttNode> {
  const closers: Array<() => Promise<void>> = [];
  const checks: ReadinessCheck[] = [];
  // Cluster mode: edges share a Redis bus (the route table, or per-registry channels when asked)
  // and keep MQTT state in MongoDB, so any edge can die.
  const bus = localBus({ maxQueuedAgeMs: config.maxBacklogAgeMs });
  const clusterBus = config.redisUrl
    ? (config.clusterBus === 'routes' ? routedBus : redisBus)(config.redisUrl, logger, bus.emitter)
    : undefined;
  const mongoState = config.mongoUrl ? await mongoMqttPersistence(config.mongoUrl, config.mongoDb) : undefined;
  const mqttState = mongoState ?? (await embeddedMqttPersistence(config.dataDir));
  if (clusterBus) closers.unshift(clusterBus.close);
  // Brute-force counters shared by the edges, so spreading guesses over them gains nothing.
  const sharedAuthFailures = config.redisUrl && options.listeners ? redisFailureCounters(config.redisUrl) : undefined;
  if (sharedAuthFailures) closers.unshift(sharedAuthFailures.close);
  closers.unshift(mqttState.close);
  // A registry replica whose bus or MQTT state is away still serves the management API: degraded.
  const degradesOnly = !options.listeners;
  if (clusterBus) checks.push({ name: 'redis_bus', check: clusterBus.ready, degradesOnly });
  if (mongoState) checks.push({ name: 'mqtt_state', check: () => mongoState.ping().then(() => true), degradesOnly });
  if (options.link.reachable) checks.push({ name: 'registry_service', check: options.link.reachable });
  const listeners = options.listeners ? await listenerOptions(config, logger) : {};
  const exporter = await startExporter(config, logger);
  const triggerIntake = options.triggerQueue && new TriggerIntake(options.triggerQueue, logger);
  const edge = await startEdge({
    link: options.link,
    logger,
    ...listeners,
    maxMessageBytes: config.maxMessageBytes,
    persistence: mqttState.persistence,
    persistenceWritable: mongoState?.writable,
    permanentTopics: mqttState.permanentTopics,
    maxSubscriptions: config.maxSubscriptions,
    connectionLog: { capacity: config.logBufferEvents },
    bus,
    sessionLimits: {
      maxQueuedMessages: config.maxQueuedMessages,
      maxQueuedBytes: config.maxQueuedBytes,
      // Expiring sessions is the edges' job: a registry replica's setting need not match theirs.
      expirySeconds: options.listeners ? config.sessionExpirySeconds : 0,
      queued: mqttState.queued,
      ledger: mqttState.sessions,
    },
    clusterBus,
    sharedAuthFailures,
    revocations: options.revocations,
    exports: allExports([
      exporter && new RegistryExports(options.link, (stream, record) => exporter.offer(stream, record), logger),
      triggerIntake && new SourceTriggers(options.link, (triggerId, message) => triggerIntake.offer(triggerId, message), logger),
    ]),
    limits: {
      devicePublishRate: config.devicePublishRate,
      brokerPublishRate: config.brokerPublishRate,
      maxConnectionsPerBroker: config.maxBrokerConnections,
      maxConnectionsPerRegistry: config.maxRegistryConnections,
    },
  });
  if (options.listeners) checks.push({ name: 'revocation_feed', check: () => edge.revocationsLive(), degradesOnly: true });
  if (exporter) checks.push({ name: 'kafka_export', check: () => exporter.delivering(), degradesOnly: true });
  closers.unshift(edge.close);
  // An edge of a cluster tells the registry's console its figures (cluster-state.ts).
  const edgeId = clusterBus && 'id' in clusterBus && typeof clusterBus.id === 'string' ? clusterBus.id : undefined;
  if (options.listeners && config.redisUrl && edgeId) {
    const redis = openRedis(config.redisUrl, { maxRetriesPerRequest: 1 });
    const stopReporting = reportEdge(redis, edgeId, () => localReport(checks));
    closers.push(async () => {
      stopReporting();
      redis.disconnect();
    });
  }
  // After the edge: what its last messages offered still goes out, for up to 5 s.
  if (exporter) closers.splice(1, 0, () => exporter.stop(5_000));
  if (triggerIntake) closers.splice(1, 0, () => waitFor(() => triggerIntake.pending === 0, 5_000));
  return { edge, checks, closers };
}

/**
 * The Kafka exporter of this process's data stream exports (each process exports the messages
 * its own clients publish; ARCHITECTURE.md), when --kafka-brokers is set.
 */
async function startExporter(config: ServeConfig, logger: Logger): Promise<KafkaExporter | undefined> {
  const ca = config.kafkaTlsCa ? await readFile(config.kafkaTlsCa, 'utf8') : undefined;
  const connection = kafkaConnectionOf(config, ca);
  if (!connection) return undefined;
  const { createExportProducer } = await loadKafkaProducer();
  const exporter = new KafkaExporter(
    createExportProducer(connection, `iotcore-${config.role}-${process.pid}`),
    new ExportBacklog({ maxRecords: config.exportBacklogRecords, maxBytes: config.exportBacklogBytes }),
    exportMetrics(),
    logger,
  );
  exporter.start();
  logger.info({ brokers: connection.brokers }, 'data stream exports write to Kafka');
  return exporter;
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function listenerOptions(config: ServeConfig, logger: Logger) {
  const tls = await serverTls(config);
  if (tls.caFile) logger.info({ caFile: tls.caFile }, `MQTT clients should trust the CA in ${tls.caFile}`);
  return {
    tls: { ...hostPort(config.mqttListen), cert: tls.cert, key: tls.key },
    tcp: config.mqttTcpListen ? hostPort(config.mqttTcpListen) : undefined,
    wss: config.mqttWssListen
      ? { ...hostPort(config.mqttWssListen), requestCert: config.mqttWssClientCertificates === 'request' }
      : undefined,
  };
}

async function serverTls(config: ServeConfig): Promise<{ cert: Buffer; key: Buffer; caFile?: string }> {
  if (config.tlsCert && config.tlsKey) return { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) };
  const files = await localServerTls(config);
  return { cert: await readFile(files.certFile), key: await readFile(files.keyFile), caFile: files.caFile };
}
