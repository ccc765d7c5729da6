// The MQTT edge: aedes with Yandex IoT Core's authentication, topic model and permissions.
// Every security decision is delegated to TopicPolicy (topics/acl.ts) and the registry link; this
// file only wires them into aedes' hooks.
import type { Duplex } from 'node:stream';
import type net from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { MQEmitter } from 'mqemitter';
import type { Logger } from '../common/logging.js';
import type { OwnerKind } from '../registry/store/records.js';
import type { DataPlane } from '../registry/api/data-services.js';
import { ApiError } from '../registry/api/errors.js';
import { status } from '@grpc/grpc-js';
import { TopicPolicy } from './topics/acl.js';
import { filterMatches } from './topics/topic-syntax.js';
import { INTERNAL_ROOT, brokerExternal, isInternalTopic, toCanonical } from './topics/namespace.js';
import { principalFromAuth, type Principal } from './topics/principal.js';
import type { RegistryLink, AuthOutcome } from './registry-link/link.js';
import { listenTcp, listenTls, listenWss, type ConnectionInfo } from './transport/listeners.js';
import { AuthThrottle } from './limits/auth-throttle.js';
import { DeviceMonitor } from './monitoring.js';
import { boundedEmitter } from './bus/bounded-emitter.js';
import { RecentDeliveries } from './bus/recent-deliveries.js';
import { EdgeMetrics, type RegistryMeters } from './metrics.js';
import { withOutgoingShortcuts } from './persistence/outgoing-messages.js';
import { PrincipalLimits, type LimitSettings } from './limits/principal-limits.js';
import { RevocationEnforcer } from './revocation-enforcer.js';
import type { RevocationSource } from '../contracts/revocations.js';

export interface EdgeOptions {
  link: RegistryLink;
  logger: Logger;
  tls?: { host: string; port: number; cert: Buffer; key: Buffer };
  tcp?: { host: string; port: number };
  /** MQTT over secure WebSocket, with the TLS listener's certificate. */
  wss?: { host: string; port: number };
  maxPacketBytes: number;
  /** Backlog of the message bus past which QoS 0 messages are dropped (default 100 000). */
  maxQueuedMessages?: number;
  /** Per-principal publish rates and connection caps; all off by default. */
  limits?: Partial<LimitSettings>;
  /** An aedes persistence (sessions, queued QoS 1, permanent-topic values); in memory when omitted. */
  persistence?: unknown;
  /** The cluster bus shared with other edges (Redis); an in-process bounded bus when omitted. */
  clusterBus?: { emitter: MQEmitter; onReconnect(listener: () => void): void };
  /** How many permanent-topic values the persistence holds (for /metrics). */
  permanentTopics?: () => Promise<number>;
  /** The cluster's revocation feed (Redis) when the edge reads it directly; the registry link's otherwise. */
  revocations?: RevocationSource;
}

export interface RunningEdge {
  broker: Aedes;
  dataPlane: DataPlane;
  /** Bound ports, by listener. */
  ports: { tls?: number; tcp?: number; wss?: number };
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

interface SessionSubscription {
  toClient: (internalTopic: string) => string;
  replayPermanent: boolean;
  /** Stored permanent-topic messages delivered for this subscription so far. */
  replayed: number;
  /** Granted QoS (never 2). */
  qos: number;
}

/** Yandex delivers stored values for at most 1000 permanent topics per subscription (spec §3.4). */
const MAX_PERMANENT_REPLAY = 1000;

interface Session {
  client: Client;
  principal: Principal;
  policy: TopicPolicy;
  credentialId: string;
  info: ConnectionInfo;
  /** internal filter → how to deliver under the name the client subscribed with */
  subscriptions: Map<string, SessionSubscription>;
  /** client filter → internal filter, to translate UNSUBSCRIBE */
  clientFilters: Map<string, string>;
  deliveries: RecentDeliveries;
  /** Why the connection is being closed, when the edge closes it (metrics and the log line). */
  closeReason?: CloseReason;
  /** QoS 1 messages sent to this connection and not yet acknowledged. */
  unacknowledged: number;
  /** Internal topic → the subscription that delivers it and the name it arrives under (null: none). */
  routes: Map<string, { subscription: SessionSubscription; clientTopic: string } | null>;
  meters: RegistryMeters;
}

/** Routes remembered per session; subscribing or unsubscribing forgets them all. */
const MAX_ROUTES = 256;

type CloseReason = 'takeover' | 'revoked' | 'publish_denied' | 'keepalive_timeout' | 'slow_consumer' | 'protocol_error' | 'connection_lost' | 'drain' | 'shutdown';

/** Reads as "nothing seen yet" for every broker, whatever aedes writes into it. */
const NO_COUNTER_DEDUP = new Proxy({}, { get: () => 0, set: () => true });

/** Where rate-limited publishes go: acknowledged, but no subscription can ever match it. */
const DROPPED_TOPIC = '$iot-dropped';

// CONNACK return codes of MQTT 3.1.1.
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const { link, logger } = options;
  const sessions = new WeakMap<Client, Session>();
  const sessionOfConnection = new WeakMap<ConnectionInfo, Session>();
  let shuttingDown = false;
  const connections = new WeakMap<Duplex, ConnectionInfo>();
  const throttle = new AuthThrottle();
  const limits = new PrincipalLimits({ devicePublishRate: 0, brokerPublishRate: 0, maxConnectionsPerBroker: 0, maxConnectionsPerRegistry: 0, ...options.limits });
  const deviceRegistry = new Map<string, { registryId: string | undefined; at: number }>();

  const metrics = EdgeMetrics.get();
  const inflightIn = metrics.inflight.labels({ direction: 'in' });
  const inflightOut = metrics.inflight.labels({ direction: 'out' });
  const bus = boundedEmitter({ concurrency: 1000, maxQueuedMessages: options.maxQueuedMessages ?? 100_000, onDrop: () => metrics.dropped.inc({ reason: 'slow_consumer' }) });
  const mq = options.clusterBus?.emitter ?? bus.emitter;
  // Messages rerouted to DROPPED_TOPIC (rate-limited, or already published before PUBACK) never
  // need to leave the process; skipping them saves a bus round trip each.
  const emit = mq.emit.bind(mq);
  mq.emit = (message, callback) => (message.topic === DROPPED_TOPIC ? callback?.() : emit(message, callback));
  // Subscribed before aedes subscribes its own handler, so it runs first: a client taken over by
  // another edge is not going offline, so its will must not be published (nor its stored will,
  // which is now the new session's, deleted) when aedes closes the old connection.
  let self: AedesInternals | undefined;
  mq.on('$SYS/+/new/clients', (message, done) => {
    const takenBy = message.topic.split('/')[1];
    const previous = self && takenBy !== self.id ? self.clients[String(message.payload)] : undefined;
    if (previous) takenOver(previous);
    done();
  });
  const broker = await Aedes.createBroker({
    mq,
    persistence: options.persistence === undefined ? undefined : withOutgoingShortcuts(options.persistence),
    // Peers count a node dead after 3 missed heartbeats (6 s) and publish its clients' wills at
    // their next sweep (every 4 heartbeats), so a crashed edge's wills go out within ~15 s.
    heartbeatInterval: 2000,
    drainTimeout: 10_000,
  });
  self = broker as unknown as AedesInternals;
  // After PUBACK aedes publishes the packet once more: for a QoS 1 message already published by
  // publishBeforeAck (or one dropped by the rate limit) that second trip through its pipeline
  // (persistence lookups, bus, events) does nothing, so it ends here.
  type Done = (error?: Error) => void;
  const publish = broker.publish.bind(broker) as unknown as (packet: PublishPacket, client?: Client | null | Done, done?: Done) => void;
  (broker as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
    if (packet.topic !== DROPPED_TOPIC) return publish(packet, client, done);
    (typeof client === 'function' ? client : done)?.();
  };
  // Messages published while the bus was away never reached this edge, but those for persistent
  // sessions are stored: closing those sessions makes their clients reconnect and fetch them.
  options.clusterBus?.onReconnect(() => {
    const persistent = Object.values(self!.clients).filter((client) => !(client as unknown as { clean: boolean }).clean);
    logger.warn({ sessions: persistent.length }, 'Redis bus reconnected; closing persistent sessions so they collect what they missed');
    for (const client of persistent) client.close();
  });
  // e.g. the wills sweep failing while the database is away: log, never crash.
  self.on('error', (error: Error) => logger.warn({ err: error }, 'broker error'));

  const monitor = new DeviceMonitor(
    link,
    (registryId, deviceId, payload) =>
      broker.publish({ cmd: 'publish', topic: `${INTERNAL_ROOT}/${registryId}/monitoring/${deviceId}/json`, payload, qos: 0, retain: false, dup: false }, () => undefined),
    (error) => logger.warn({ err: error }, 'could not report device activity'),
  );

  /** The registry a principal belongs to, for per-registry metrics (brokers have none). */
  const registryOf = (principal: Principal) => metrics.registry(principal.kind === 'broker' ? undefined : principal.kind === 'registry' ? principal.id : principal.registryId);

  const recordActivity = (session: Session, field: 'last_pub_activity_time' | 'last_sub_activity_time') => {
    if (session.principal.kind === 'device') monitor.record(session.principal.id, session.principal.registryId, { [field]: new Date() });
  };

  broker.authenticate = (client, username, password, done) => {
    const info = connections.get(client.conn as Duplex) ?? { remoteAddress: '', remotePort: 0 };
    const keys = [`ip:${info.remoteAddress}`, `user:${username ?? ''}`];
    const authStarted = process.hrtime.bigint();
    const fail = (code: number, reason: string) => {
      metrics.connacks.inc({ code: String(code) });
      logger.info({ event: 'auth_failed', clientId: client.id, username, address: info.remoteAddress, cert: info.certificateFingerprint, reason }, 'authentication failed');
      done(Object.assign(new Error(reason), { returnCode: code }) as never, null);
    };
    if (throttle.isBlocked(keys)) return fail(NOT_AUTHORIZED, 'too many failed attempts; retry later');
    link
      .authenticate({ username: username ?? '', password: password ?? undefined, certificate_fingerprint: info.certificateFingerprint })
      .then((outcome: AuthOutcome) => {
        metrics.authSeconds.observe(Number(process.hrtime.bigint() - authStarted) / 1e9);
        if (outcome.result !== 'OK') {
          throttle.failure(keys);
          return fail(outcome.result === 'BAD_USERNAME_OR_PASSWORD' ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, outcome.reason);
        }
        throttle.success(keys);
        const principal = principalFromAuth(outcome.principal);
        // A will the principal could not publish itself is refused up front (spec §4.7).
        const will = (client as unknown as { _will?: { topic: string; retain: boolean } })._will;
        const policy = new TopicPolicy(principal);
        const willDecision = will ? policy.authorizePublish(will.topic) : undefined;
        if (will && !willDecision!.ok) return fail(NOT_AUTHORIZED, `will topic "${will.topic}" not allowed`);
        if (!limits.openConnection(principal)) return fail(NOT_AUTHORIZED, `connection limit of the ${principal.kind} reached`);
        // Takeover and persistent sessions are per principal and client ID: a registry and a device
        // both connecting as "YCCmdLine" (yc's fixed ID) must not kick each other off.
        client.id = `${principal.id}/${client.id}`;
        // Stored with its internal topic, so any edge can publish it if this one dies.
        if (will && willDecision?.ok) {
          will.topic = willDecision.internalTopic;
          will.retain = willDecision.permanent;
        }
        const previous = self!.clients[client.id];
        if (previous) takenOver(previous);
        const session: Session = {
          client, principal, policy, credentialId: outcome.principal.credential_id, info,
          subscriptions: new Map(), clientFilters: new Map(), deliveries: new RecentDeliveries(), unacknowledged: 0,
          routes: new Map(), meters: metrics.meters(registryOf(principal)),
        };
        sessions.set(client, session);
        sessionOfConnection.set(info, session);
        // Replace aedes' per-broker counter check (see RecentDeliveries): it always lets a message through.
        (client as unknown as { duplicates: object }).duplicates = NO_COUNTER_DEDUP;
        rewriteIncomingPackets(client, session);
        if (principal.kind === 'device') {
          const now = new Date();
          monitor.record(principal.id, principal.registryId, { last_auth_ip: info.remoteAddress, last_auth_time: now, last_online_time: now });
        }
        metrics.connacks.inc({ code: '0' });
        metrics.opened.inc();
        metrics.connections.inc({ kind: principal.kind });
        logger.info({ event: 'connected', kind: principal.kind, id: principal.id, clientId: client.id, address: `${info.remoteAddress}:${info.remotePort}`, cert: info.certificateFingerprint }, 'connected');
        done(null, true);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'registry unavailable for authentication');
        fail(SERVER_UNAVAILABLE, 'registry service unavailable');
      });
  };

  broker.authorizePublish = (client, packet, callback) => {
    if (!client) return claimOrphanWill(packet, callback);
    // A will was authorized and given its internal topic at CONNECT.
    if (packet === (client as unknown as { will?: unknown }).will) return callback(null);
    const session = sessions.get(client);
    if (!session) return callback(new Error('publish without an authenticated session'));
    const decision = session.policy.authorizePublish(packet.topic);
    if (!decision.ok) {
      metrics.dropped.inc({ reason: 'acl' });
      session.closeReason = 'publish_denied';
      logger.info({ event: 'publish_denied', id: session.principal.id, clientId: client.id, topic: packet.topic }, `disconnected: ${decision.reason}`);
      return callback(new Error(decision.reason));
    }
    const finish = () => {
      if (!limits.allowPublish(session.principal)) {
        metrics.dropped.inc({ reason: 'rate' });
        logger.debug({ event: 'rate_limited', id: session.principal.id, topic: packet.topic }, 'publish dropped: rate limit');
        packet.topic = DROPPED_TOPIC;
        packet.retain = false;
        return callback(null);
      }
      packet.topic = decision.internalTopic;
      // The RETAIN flag is not supported (spec §4.3): storage is decided by the topic name.
      packet.retain = decision.permanent;
      recordActivity(session, 'last_pub_activity_time');
      session.meters.received[packet.qos === 0 ? 0 : 1].inc();
      session.meters.receivedBytes.inc(packet.payload.length);
      if (packet.qos === 1) {
        inflightIn.inc();
        return publishBeforeAck(client, packet, (error) => {
          inflightIn.dec();
          callback(error);
        });
      }
      callback(null);
    };
    if (!decision.requiresDeviceOf) return finish();
    const { deviceId, registryId } = decision.requiresDeviceOf;
    deviceRegistryOf(deviceId)
      .then((owner) => {
        if (owner !== registryId) {
          metrics.dropped.inc({ reason: 'acl' });
          session.closeReason = 'publish_denied';
          logger.info({ event: 'publish_denied', id: session.principal.id, topic: packet.topic }, 'disconnected: device of another registry or unknown');
          return callback(new Error(`publish to topic "${packet.topic}" not allowed`));
        }
        finish();
      })
      .catch((error: unknown) => callback(error as Error));
  };

  /**
   * The will of a client whose edge died (aedes passes no client). Every surviving edge finds it in
   * its sweep; only the one whose delete of the stored will succeeds publishes it, the others let it
   * go nowhere, so it is published once.
   */
  const claimOrphanWill = (packet: PublishPacket, callback: (error: Error | null) => void) => {
    const will = packet as PublishPacket & { clientId: string; brokerId: string };
    const internal = isInternalTopic(packet.topic);
    self!.persistence.delWill({ id: will.clientId, brokerId: will.brokerId }).then((claimed) => {
      if (!claimed || !internal) {
        packet.topic = DROPPED_TOPIC;
        packet.retain = false;
      }
      callback(null);
    }, (error: Error) => callback(error));
  };

  /**
   * aedes sends PUBACK before it publishes, so a crash in between would lose a message the client
   * was told is safe. Publish here first (stored for offline persistent subscribers, handed to the
   * bus), and only then let aedes acknowledge, its own publish of the packet going nowhere.
   */
  const publishBeforeAck = (client: Client, packet: PublishPacket, callback: (error: Error | null) => void) => {
    // aedes' typings omit publish(packet, client, done); the client makes the message count as its own.
    (broker.publish as unknown as (p: PublishPacket, c: Client, done: (error?: Error) => void) => void)(packet, client, (error) => {
      if (error) {
        logger.warn({ err: error, clientId: client.id }, 'publish failed; closing without PUBACK so the client sends it again');
        return callback(error);
      }
      packet.topic = DROPPED_TOPIC;
      packet.retain = false;
      callback(null);
    });
  };

  broker.authorizeSubscribe = (client, sub, callback) => {
    const session = sessions.get(client);
    if (!session) return callback(new Error('subscribe without an authenticated session'));
    // A restored persistent session re-authorizes the internal filters it stored.
    const requested = externalName(session.principal, sub.topic) ?? sub.topic;
    const decision = session.policy.authorizeSubscribe(requested);
    if (!decision.ok) {
      logger.info({ event: 'subscribe_denied', id: session.principal.id, clientId: client.id, filter: sub.topic }, `some of subscriptions failed: ${decision.reason}`);
      return callback(null, null);
    }
    session.subscriptions.set(decision.internalFilter, { toClient: decision.toClient, replayPermanent: decision.replayPermanent, replayed: 0, qos: sub.qos });
    session.routes.clear();
    session.clientFilters.set(requested, decision.internalFilter);
    recordActivity(session, 'last_sub_activity_time');
    // Rewritten in place: aedes looks up stored (permanent) messages with this same object.
    sub.topic = decision.internalFilter;
    callback(null, sub);
  };

  broker.authorizeForward = (client, packet) => {
    const session = sessions.get(client);
    if (!session) return null;
    const { brokerId, brokerCounter } = packet as PublishPacket & { brokerId?: string; brokerCounter?: number };
    // A message is offered twice only through overlapping subscriptions, or live and from the
    // store of a persistent session that is just resuming.
    const mayRepeat = session.subscriptions.size > 1 || !(client as unknown as { clean: boolean }).clean;
    if (brokerId && mayRepeat && !session.deliveries.firstTime(`${brokerId}:${brokerCounter}`)) return null;
    // Stored QoS 1 messages of persistent sessions were translated on first delivery.
    if (!isInternalTopic(packet.topic)) return packet;
    if (!session.policy.mayReceive(packet.topic)) return null;
    const route = packet.retain ? replayRoute(session, packet.topic) : liveRoute(session, packet.topic);
    if (!route) return null;
    packet.topic = route.clientTopic;
    // aedes downgrades only when the subscription is keyed by the packet's own topic.
    packet.qos = Math.min(packet.qos, route.subscription.qos) as typeof packet.qos;
    session.meters.delivered[packet.qos === 0 ? 0 : 1].inc();
    session.meters.deliveredBytes.inc(packet.payload.length);
    if (packet.qos === 1) {
      session.unacknowledged++;
      inflightOut.inc();
    }
    return packet;
  };

  broker.on('ack', (_packet, client) => {
    const session = sessions.get(client);
    if (!session || session.unacknowledged === 0) return;
    session.unacknowledged--;
    inflightOut.dec();
  });
  broker.on('keepaliveTimeout', (client) => {
    const session = sessions.get(client);
    if (session) session.closeReason ??= 'keepalive_timeout';
  });
  broker.on('clientError', (client, error) => {
    const session = sessions.get(client);
    if (session) session.closeReason ??= errorReason(error);
    logger.debug({ clientId: client.id, err: error.message }, 'client error');
  });
  broker.on('clientDisconnect', (client) => {
    const session = sessions.get(client);
    if (!session) return;
    // After a DISCONNECT packet aedes destroys the socket, which also reports an abort error.
    const reason = (client as unknown as { _disconnected: boolean })._disconnected ? 'client_disconnect' : session.closeReason ?? (shuttingDown ? 'shutdown' : 'connection_lost');
    metrics.connections.dec({ kind: session.principal.kind });
    metrics.closed.inc({ reason });
    inflightOut.dec(session.unacknowledged);
    session.unacknowledged = 0;
    limits.closeConnection(session.principal);
    if (session.principal.kind === 'device') monitor.record(session.principal.id, session.principal.registryId, { last_disconnect_time: new Date() });
    logger.info({ event: 'disconnected', kind: session.principal.kind, id: session.principal.id, clientId: client.id, reason }, `disconnected: ${reason.replaceAll('_', ' ')}`);
  });

  const revocations = new RevocationEnforcer({
    source: options.revocations ?? link,
    link,
    logger,
    sessions: () => Object.values(self!.clients).flatMap((client) => sessions.get(client) ?? []),
    revoke: (session, reason) => {
      logger.info({ event: 'revoked', id: session.principal.id, clientId: session.client.id, reason }, `disconnecting: ${reason}`);
      session.closeReason = 'revoked';
      session.client.close();
    },
    invalidate: (revocation) => {
      if (!revocation) return deviceRegistry.clear();
      if (revocation.kind === 'DEVICE_DELETED') {
        monitor.forget(revocation.entity_id);
        deviceRegistry.delete(revocation.entity_id);
      }
    },
    onRecheck: () => metrics.revocationRechecks.inc(),
  });

  async function deviceRegistryOf(deviceId: string): Promise<string | undefined> {
    const cached = deviceRegistry.get(deviceId);
    if (cached && Date.now() - cached.at < 30_000) return cached.registryId;
    const device = await link.lookupDevice(deviceId);
    if (deviceRegistry.size > 100_000) deviceRegistry.clear();
    deviceRegistry.set(deviceId, { registryId: device?.registry_id, at: Date.now() });
    return device?.registry_id;
  }

  const handleConnection = (stream: Duplex, info: ConnectionInfo) => {
    connections.set(stream, info);
    broker.handle(stream);
  };
  const onOversize = (info: ConnectionInfo, reason: string) => {
    metrics.dropped.inc({ reason: 'size' });
    const session = sessionOfConnection.get(info);
    if (session) session.closeReason = 'protocol_error';
    logger.warn({ event: 'oversize', address: info.remoteAddress, reason }, `closing the connection: ${reason}`);
  };

  const servers: net.Server[] = [];
  const ports: RunningEdge['ports'] = {};
  if (options.tls) {
    const server = await listenTls({ ...options.tls, maxPacketBytes: options.maxPacketBytes, onConnection: handleConnection, onOversize });
    servers.push(server);
    ports.tls = (server.address() as net.AddressInfo).port;
  }
  if (options.wss && options.tls) {
    const server = await listenWss({ ...options.wss, cert: options.tls.cert, key: options.tls.key, maxPacketBytes: options.maxPacketBytes, onConnection: handleConnection, onOversize });
    servers.push(server);
    ports.wss = (server.address() as net.AddressInfo).port;
  }
  if (options.tcp) {
    const server = await listenTcp({ ...options.tcp, maxPacketBytes: options.maxPacketBytes, onConnection: handleConnection, onOversize });
    servers.push(server);
    ports.tcp = (server.address() as net.AddressInfo).port;
  }

  const removeMetricsSource = metrics.addSource({
    revocationFeedLagSeconds: () => revocations.lagSeconds(),
    subscriptions: () => Object.values(self!.clients).reduce((sum, client) => sum + Object.keys((client as unknown as { subscriptions: object }).subscriptions).length, 0),
    permanentTopics: options.permanentTopics,
  });

  /** A connection being taken over (here or by another edge) is not going offline. */
  function takenOver(previous: Client): void {
    forgetWill(previous);
    const session = sessions.get(previous);
    if (session) session.closeReason = 'takeover';
  }

  const dataPlane: DataPlane = {
    async publish(principalRef: { kind: OwnerKind; id: string }, topic: string, data: Buffer) {
      if (!link.describe) throw new ApiError(status.UNAVAILABLE, 'data-plane publishing is served by the all-in-one process');
      const outcome = await link.describe(principalRef.kind, principalRef.id);
      if (outcome.result !== 'OK') throw new ApiError(status.NOT_FOUND, `${principalRef.kind} ${principalRef.id}: ${outcome.reason}`);
      const policy = new TopicPolicy(principalFromAuth(outcome.principal));
      const decision = policy.authorizePublish(topic);
      if (!decision.ok) throw new ApiError(status.PERMISSION_DENIED, decision.reason);
      if (decision.requiresDeviceOf && (await deviceRegistryOf(decision.requiresDeviceOf.deviceId)) !== decision.requiresDeviceOf.registryId) {
        throw new ApiError(status.PERMISSION_DENIED, `publish to topic "${topic}" not allowed`);
      }
      const packet: PublishPacket = { cmd: 'publish', topic: decision.internalTopic, payload: data, qos: 1, retain: decision.permanent, dup: false };
      await new Promise<void>((resolve, reject) => broker.publish(packet, (error) => (error ? reject(error) : resolve())));
    },
  };

  return {
    broker,
    dataPlane,
    ports,
    droppedMessages: bus.dropped,
    rateLimitedPublishes: () => limits.droppedPublishes(),
    revocationsLive: () => revocations.live(),
    drain: async (windowMs) => {
      for (const server of servers) server.close();
      const clients = Object.values(self!.clients);
      logger.info({ clients: clients.length, windowMs }, 'draining: closing connections so clients move to other edges');
      await Promise.all(clients.map((client, index) => new Promise<void>((resolve) => {
        setTimeout(() => {
          // Moving to another edge is not going offline.
          forgetWill(client);
          const session = sessions.get(client);
          if (session) session.closeReason = 'drain';
          client.close(() => resolve());
        }, (windowMs * index) / clients.length);
      })));
    },
    close: async () => {
      shuttingDown = true;
      removeMetricsSource();
      revocations.close();
      monitor.close();
      // Stop accepting first; a listener only reports closed once its connections are gone,
      // which happens when the broker closes its clients.
      const listenersClosed = Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await listenersClosed;
      await monitor.flush();
    },
  };
}

/** Parts of aedes 1.2 used here that its typings leave out. */
interface AedesInternals {
  id: string;
  clients: Record<string, Client & { close(done?: () => void): void }>;
  persistence: { delWill(client: { id: string; brokerId: string }): Promise<unknown> };
  on(event: 'error', listener: (error: Error) => void): void;
}

/** The first subscription of the session matching a live message, remembered per topic. */
function liveRoute(session: Session, internalTopic: string): { subscription: SessionSubscription; clientTopic: string } | null {
  let route = session.routes.get(internalTopic);
  if (route !== undefined) return route;
  route = null;
  for (const [filter, subscription] of session.subscriptions) {
    if (filterMatches(filter, internalTopic)) {
      route = { subscription, clientTopic: subscription.toClient(internalTopic) };
      break;
    }
  }
  if (session.routes.size >= MAX_ROUTES) session.routes.clear();
  session.routes.set(internalTopic, route);
  return route;
}

/** A stored permanent-topic value: only subscriptions that replay them, up to their limit. */
function replayRoute(session: Session, internalTopic: string): { subscription: SessionSubscription; clientTopic: string } | null {
  for (const [filter, subscription] of session.subscriptions) {
    if (!filterMatches(filter, internalTopic) || !subscription.replayPermanent || subscription.replayed >= MAX_PERMANENT_REPLAY) continue;
    subscription.replayed++;
    return { subscription, clientTopic: subscription.toClient(internalTopic) };
  }
  return null;
}

/** A client moving elsewhere is not going offline: drop its will before aedes closes it. */
function forgetWill(client: Client): void {
  const internals = client as unknown as { will: unknown; _will: unknown };
  internals.will = null;
  internals._will = null;
}

function errorReason(error: Error): CloseReason {
  if (error.message === 'drain timeout') return 'slow_consumer';
  return (error as NodeJS.ErrnoException).code ? 'connection_lost' : 'protocol_error';
}

/** The client-facing form of an internal filter (persistent sessions store internal filters). */
function externalName(principal: Principal, filter: string): string | undefined {
  if (principal.kind === 'broker') return brokerExternal(principal.id, filter);
  return filter.startsWith(`${INTERNAL_ROOT}/${principal.registryId}/`) ? toCanonical(filter) : undefined;
}

/**
 * Packet rewrites aedes has no hook for, applied as the parser emits each packet:
 * SUBSCRIBE asking QoS 2 is granted QoS 1 (aedes answers SUBACK with the requested QoS), and
 * UNSUBSCRIBE names the internal filters the subscriptions were rewritten to.
 */
function rewriteIncomingPackets(client: Client, session: Session): void {
  const parser = (client as unknown as { _parser: NodeJS.EventEmitter })._parser;
  parser.prependListener('packet', (packet: { cmd: string; unsubscriptions?: string[]; subscriptions?: Array<{ qos: number }> }) => {
    if (packet.cmd === 'subscribe') {
      for (const subscription of packet.subscriptions ?? []) subscription.qos = Math.min(subscription.qos, 1);
      return;
    }
    if (packet.cmd !== 'unsubscribe' || !packet.unsubscriptions) return;
    packet.unsubscriptions = packet.unsubscriptions.map((filter) => {
      const internal = session.clientFilters.get(filter);
      if (internal) {
        session.clientFilters.delete(filter);
        session.subscriptions.delete(internal);
        session.routes.clear();
      }
      return internal ?? filter;
    });
  });
}
