// The MQTT edge: aedes with Yandex IoT Core's authentication, topic model and permissions. This
// file only wires: each decision lives in its own hook (hooks/), the aedes internals they need are
// fenced in aedes/internals.ts, and how connections end is in lifecycle.ts (ARCHITECTURE.md).
import type { Duplex } from 'node:stream';
import type net from 'node:net';
import { Aedes } from 'aedes';
import type { MQEmitter } from 'mqemitter';
import type { Logger } from '../common/logging.js';
import type { DataPlane } from '../contracts/data-plane.js';
import type { RegistryLink } from '../contracts/registry-link.js';
import type { RevocationSource } from '../contracts/revocations.js';
import { monitoringInternal } from './topics/namespace.js';
import { listenTcp, listenTls, listenWss, type ConnectionInfo } from './transport/listeners.js';
import { AuthThrottle, type SharedFailureCounters } from './limits/auth-throttle.js';
import { PrincipalLimits, type LimitSettings } from './limits/principal-limits.js';
import { DeviceMonitor } from './monitoring.js';
import type { BoundedEmitter } from './bus/bounded-emitter.js';
import { localBus, type LocalBusOptions } from './bus/local-bus.js';
import { localSharedRouting, type SharedRouting } from './bus/shared-routing.js';
import { subscriberCheck } from './bus/subscriber-check.js';
import { SharedSubscriptions } from './shared-subscriptions.js';
import { EdgeMetrics } from './metrics.js';
import { persistenceForAedes, type SessionLimits } from './persistence/for-aedes.js';
import { maintainSessions } from './session-holding.js';
import { DeviceOwnerCache } from './registry-link/device-owner-cache.js';
import { aedesInternals, checkAedesShape } from './aedes/internals.js';
import { SessionTable, clientIdOf } from './session.js';
import { LOG_LEVELS } from '../contracts/connection-logs.js';
import type { EdgeContext } from './context.js';
import type { MessageExports } from './export/message-exports.js';
import { authenticateHook, preConnectHook } from './hooks/authenticate.js';
import { DROPPED_TOPIC, authorizePublishHook } from './hooks/authorize-publish.js';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.js';
import { authorizeForwardHook } from './hooks/authorize-forward.js';
import { dataPlane } from './data-plane.js';
import { publishPacketBytesFor } from '../contracts/limits.js';
import { ConnectionLog, DEFAULT_CONNECTION_LOG_SETTINGS, type ConnectionLogSettings } from './connection-log.js';
import {
  drainConnections,
  enforceRevocations,
  markTakenOver,
  reconnectPersistentSessions,
  watchConnections,
  watchRemoteTakeovers,
} from './lifecycle.js';

/** `maxQueuedMessages`, `maxQueuedAgeMs`: the in-process bus's backlog bounds, when it is made here. */
export interface EdgeOptions extends LocalBusOptions {
  link: RegistryLink;
  logger: Logger;
  tls?: { host: string; port: number; cert: Buffer; key: Buffer };
  tcp?: { host: string; port: number };
  /** MQTT over secure WebSocket, with the TLS listener's certificate. */
  /** `requestCert`: ask for a client certificate (false for browsers, which cannot answer one headless). */
  wss?: { host: string; port: number; requestCert: boolean };
  /** The largest message payload (Yandex: 256 KiB); packets are bounded to carry it on the longest topic. */
  maxMessageBytes: number;
  /** Per-principal publish rates and connection caps; all off by default. */
  limits?: Partial<LimitSettings>;
  /** An aedes persistence (sessions, queued QoS 1, permanent-topic values); in memory when omitted. */
  persistence?: unknown;
  /** Whether the persistence's store can serve a CONNECT now (CONNACK 3 when not); always when omitted. */
  persistenceWritable?: () => boolean;
  /** The in-process bus, which a cluster bus delivers to as well; a new one when omitted. */
  bus?: BoundedEmitter;
  /** The cluster bus shared with other edges (Redis), delivering here through `bus`; `bus` alone when omitted. */
  clusterBus?: { emitter: MQEmitter; onReconnect(listener: () => void): void; shared?: SharedRouting; wants?(topic: string): boolean };
  /** How many permanent-topic values the persistence holds (for /metrics). */
  permanentTopics?: () => Promise<number>;
  /** Brute-force counters shared with the other edges (Redis); this edge's own when omitted. */
  sharedAuthFailures?: SharedFailureCounters;
  /** The cluster's revocation feed (Redis) when the edge reads it directly; the registry link's otherwise. */
  revocations?: RevocationSource;
  /** The buffer of connection-log entries on their way to the registry (defaults: DEFAULT_CONNECTION_LOG_SETTINGS). */
  connectionLog?: Partial<ConnectionLogSettings>;
  /** Subscriptions one connection may hold (default 1000; 0 = unlimited). */
  maxSubscriptions?: number;
  /** Where accepted device and registry messages are offered for the data stream exports; none when omitted. */
  exports?: MessageExports;
  /** Bounds on persistent sessions, with the persistence's own counters; unbounded when omitted. */
  sessionLimits?: SessionLimits;
}

export interface RunningEdge {
  broker: Aedes;
  dataPlane: DataPlane;
  /** Bound ports, by listener. */
  ports: { tls?: number; tcp?: number; wss?: number };
  /** Serves one connection that arrived elsewhere, as the listeners do (tests and fuzzing use in-memory streams). */
  accept(stream: Duplex, info: ConnectionInfo): void;
  /** QoS 0 messages dropped because the bus backlog was full (slow consumers). */
  droppedMessages(): number;
  /** Publishes dropped because their principal exceeded its rate. */
  rateLimitedPublishes(): number;
  /** Whether revocations are followed live (readiness reports "degraded" when not). */
  revocationsLive(): boolean;
  /**
   * Graceful shutdown, first half: stop accepting connections and close the current ones spread
   * over `windowMs`, so their clients reconnect to other edges gradually instead of all at once.
   */
  drain(windowMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const { link, logger } = options;
  const metrics = EdgeMetrics.get();
  const limits = new PrincipalLimits({
    devicePublishRate: 0,
    brokerPublishRate: 0,
    maxConnectionsPerBroker: 0,
    maxConnectionsPerRegistry: 0,
    ...options.limits,
  });
  const bus = options.bus ?? localBus(options);
  const mq = options.clusterBus?.emitter ?? bus.emitter;
  const localShared = options.clusterBus ? undefined : localSharedRouting(bus.emitter);
  const sharedRouting = options.clusterBus ? options.clusterBus.shared : localShared;
  // Handled publishes (rate-limited, or already published before PUBACK) never leave the process.
  aedesInternals.skipEmit(mq, (topic) => topic === DROPPED_TOPIC);
  let ctx: EdgeContext | undefined;
  watchRemoteTakeovers(mq, () => ctx && { ctx });
  const broker = await Aedes.createBroker({
    mq,
    persistence:
      options.persistence === undefined ? undefined : persistenceForAedes(options.persistence, options.sessionLimits, metrics, logger),
    // Peers count a node dead after 3 missed heartbeats (6 s) and publish its clients' wills at
    // their next sweep (every 4 heartbeats), so a crashed edge's wills go out within ~15 s.
    heartbeatInterval: 2000,
    drainTimeout: 10_000,
  });
  checkAedesShape(broker);
  // After PUBACK aedes publishes a QoS 1 packet once more; one already published before PUBACK (or
  // dropped by the rate limit) ends here instead of going through its pipeline a second time.
  aedesInternals.skipPublish(broker, (packet) => packet.topic === DROPPED_TOPIC);
  // e.g. the wills sweep failing while the database is away: log, never crash.
  aedesInternals.onError(broker, (error) => logger.warn({ err: error }, 'broker error'));
  aedesInternals.releaseHeldDeliveries(broker);

  const hasSubscriber = subscriberCheck(options.clusterBus, bus, localShared);
  const monitor = new DeviceMonitor(
    link,
    {
      wanted: (registryId, deviceId) => hasSubscriber(monitoringInternal(registryId, deviceId)),
      publish: (registryId, deviceId, payload) =>
        broker.publish(
          { cmd: 'publish', topic: monitoringInternal(registryId, deviceId), payload, qos: 0, retain: false, dup: false },
          () => undefined,
        ),
    },
    (error) => logger.warn({ err: error }, 'could not report device activity'),
  );
  const connectionLog = connectionLogFor(options, metrics);
  const context: EdgeContext = {
    broker,
    link,
    logger,
    metrics,
    limits,
    monitor,
    connectionLog,
    inflight: metrics.inflightLevels,
    ledger: options.sessionLimits?.ledger,
    connections: new WeakMap<Duplex, ConnectionInfo>(),
    throttle: brakeFor(options.sharedAuthFailures, logger),
    deviceOwners: new DeviceOwnerCache(link),
    exports: options.exports,
    shared: sharedRouting && new SharedSubscriptions(sharedRouting),
    maxSubscriptions: options.maxSubscriptions ?? 1000,
    maxMessageBytes: options.maxMessageBytes,
    sessions: new SessionTable(),
    persistenceWritable: options.persistenceWritable ?? (() => true),
    takenOver: (previous) => markTakenOver(context, previous),
  };
  ctx = context;
  const stopMaintaining =
    options.sessionLimits && options.persistence !== undefined
      ? await maintainSessions({
          broker,
          sessions: context.sessions,
          persistence: options.persistence,
          limits: options.sessionLimits,
          logger,
          onExpired: () => metrics.sessionsExpired.inc(),
        })
      : undefined;
  options.clusterBus?.onReconnect(() => reconnectPersistentSessions(context));

  broker.preConnect = preConnectHook(options.maxMessageBytes);
  broker.authenticate = authenticateHook(context);
  broker.authorizePublish = authorizePublishHook(context);
  broker.authorizeSubscribe = authorizeSubscribeHook(context);
  broker.authorizeForward = authorizeForwardHook(context);
  let shuttingDown = false;
  watchConnections(context, () => shuttingDown);
  const revocations = enforceRevocations(context, options.revocations ?? link);

  const accept = (stream: Duplex, info: ConnectionInfo) => {
    context.connections.set(stream, info);
    broker.handle(stream);
  };
  const { servers, ports } = await listen(options, context, accept);
  const removeMetricsSource = metrics.addSource({
    revocationFeedLagSeconds: () => revocations.lagSeconds(),
    subscriptions: () => aedesInternals.clients(broker).reduce((sum, client) => sum + aedesInternals.subscriptionCount(client), 0),
    permanentTopics: options.permanentTopics,
  });

  return {
    broker,
    dataPlane: dataPlane(broker, link, context.deviceOwners, options.exports),
    ports,
    accept,
    droppedMessages: bus.dropped,
    rateLimitedPublishes: () => limits.droppedPublishes(),
    revocationsLive: () => revocations.live(),
    drain: async (windowMs) => {
      for (const server of servers) server.close();
      await drainConnections(context, windowMs);
    },
    close: async () => {
      shuttingDown = true;
      removeMetricsSource();
      revocations.close();
      stopMaintaining?.();
      monitor.close();
      // Stop accepting first; a listener only reports closed once its connections are gone,
      // which happens when the broker closes its clients.
      const listenersClosed = Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await listenersClosed;
      await monitor.flush();
      await connectionLog.close(2000);
    },
  };
}

/** Starts the listeners the options ask for; each hands its connections to aedes. */
async function listen(
  options: EdgeOptions,
  ctx: EdgeContext,
  onConnection: RunningEdge['accept'],
): Promise<{ servers: net.Server[]; ports: RunningEdge['ports'] }> {
  const onOversize = (info: ConnectionInfo, reason: string) => {
    ctx.metrics.dropped.inc({ reason: 'size' });
    const session = ctx.sessions.ofConnection(info);
    if (session) session.closeReason = 'protocol_error';
    ctx.logger.warn({ event: 'oversize', address: info.remoteAddress, reason }, `closing the connection: ${reason}`);
    if (session) {
      ctx.connectionLog.record(session.principal, LOG_LEVELS.ERROR, 'oversize', `closing the connection: ${reason}`, {
        client_id: clientIdOf(session),
        address: `${info.remoteAddress}:${info.remotePort}`,
        reason,
      });
    }
  };
  const common = { maxPacketBytes: publishPacketBytesFor(options.maxMessageBytes), onConnection, onOversize };
  const servers: net.Server[] = [];
  const ports: RunningEdge['ports'] = {};
  const add = (name: keyof RunningEdge['ports'], server: net.Server) => {
    servers.push(server);
    ports[name] = (server.address() as net.AddressInfo).port;
  };
  if (options.tls) add('tls', await listenTls({ ...options.tls, ...common }));
  if (options.wss && options.tls) add('wss', await listenWss({ ...options.wss, cert: options.tls.cert, key: options.tls.key, ...common }));
  if (options.tcp) add('tcp', await listenTcp({ ...options.tcp, ...common }));
  return { servers, ports };
}

/** Connection logs sent through the registry link; store failures are logged at most every 10 s. */
function connectionLogFor(options: EdgeOptions, metrics: EdgeMetrics): ConnectionLog {
  let errorLoggedAt = 0;
  return new ConnectionLog({
    ...DEFAULT_CONNECTION_LOG_SETTINGS,
    ...options.connectionLog,
    sink: (entries) => options.link.writeLogs(entries),
    onWritten: (count) => metrics.logEventsWritten.inc(count),
    onDropped: (reason, count) => metrics.logEventsDropped.inc({ reason }, count),
    onStoreError: (error) => {
      if (Date.now() - errorLoggedAt < 10_000) return;
      errorLoggedAt = Date.now();
      options.logger.warn({ err: error }, 'could not store connection-log entries; they are dropped (iotcore_log_events_dropped_total)');
    },
  });
}

/** The brute-force brake; shared counters that fail are logged at most every 10 s (the edge then brakes alone). */
function brakeFor(shared: SharedFailureCounters | undefined, logger: Logger): AuthThrottle {
  let sharedErrorAt = 0;
  return new AuthThrottle({
    shared,
    onSharedError: (error) => {
      if (Date.now() - sharedErrorAt < 10_000) return;
      sharedErrorAt = Date.now();
      logger.warn({ err: error }, 'brute-force counters in Redis unavailable; this edge counts alone meanwhile');
    },
  });
}
