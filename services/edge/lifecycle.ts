// How connections end: client or network, keepalive, takeover by a newer connection (here or on
// another edge), revocation by the registry, drain before shutdown, and the bus coming back after
// a loss. Each close is counted and logged once with its reason.
import type { Client } from 'aedes';
import type { MQEmitter } from 'mqemitter';
import type { RevocationSource } from '../contracts/revocations.js';
import { aedesInternals } from './aedes/internals.js';
import type { EdgeContext } from './context.js';
import { clientIdOf, type CloseReason, type Session } from './session.js';
import { LOG_LEVELS } from '../contracts/connection-logs.js';
import { RevocationEnforcer } from './revocation-enforcer.js';

/** Ends of a connection that are nobody's fault: logged at INFO, the others at WARN. */
const ORDERLY_CLOSES = new Set(['client_disconnect', 'takeover', 'drain', 'shutdown']);

/** Counts, logs and releases what a connection held when it closes, whatever closed it. */
export function watchConnections(ctx: EdgeContext, shuttingDown: () => boolean): void {
  const { broker, metrics, sessions } = ctx;
  broker.on('ack', (_packet, client) => {
    const session = sessions.of(client);
    if (!session || session.unacknowledged === 0) return;
    session.unacknowledged--;
    ctx.inflight.out.dec();
  });
  broker.on('keepaliveTimeout', (client) => {
    const session = sessions.of(client);
    if (session) session.closeReason ??= 'keepalive_timeout';
  });
  broker.on('clientError', (client, error) => {
    const session = sessions.of(client);
    if (session) session.closeReason ??= errorReason(error);
    ctx.logger.debug({ clientId: client.id, err: error.message }, 'client error');
  });
  broker.on('clientDisconnect', (client) => {
    const session = sessions.of(client);
    if (!session) return;
    // After a DISCONNECT packet aedes destroys the socket, which also reports an abort error.
    const reason = aedesInternals.disconnectedByClient(client)
      ? 'client_disconnect'
      : (session.closeReason ?? (shuttingDown() ? 'shutdown' : 'connection_lost'));
    metrics.connections.dec({ kind: session.principal.kind });
    session.meters.connections.dec();
    metrics.closed.inc({ reason });
    ctx.inflight.out.dec(session.unacknowledged);
    session.unacknowledged = 0;
    ctx.shared?.left(session);
    ctx.limits.closeConnection(session.principal);
    // Taken over (here or by another edge): the new connection holds the session, so this close
    // changes nothing in the ledger (which would ignore it anyway) and costs no write.
    if (ctx.ledger && !aedesInternals.isClean(client) && reason !== 'takeover') {
      ctx.ledger
        .offline(client.id, session.serial, new Date())
        .catch((error: unknown) => ctx.logger.warn({ err: error, clientId: client.id }, 'could not record a persistent session offline'));
    }
    if (session.principal.kind === 'device')
      ctx.monitor.record(session.principal.id, session.principal.registry_id, { last_disconnect_time: new Date() });
    ctx.logger.info(
      { event: 'disconnected', kind: session.principal.kind, id: session.principal.id, clientId: client.id, reason },
      `disconnected: ${reason.replaceAll('_', ' ')}`,
    );
    ctx.connectionLog.record(
      session.principal,
      ORDERLY_CLOSES.has(reason) ? LOG_LEVELS.INFO : LOG_LEVELS.WARN,
      'disconnected',
      `disconnected: ${reason === 'client_disconnect' ? 'client disconnected' : reason.replaceAll('_', ' ')}`,
      { client_id: clientIdOf(session), reason },
    );
  });
}

/** Closes `client` on the edge's own initiative, for `reason`; a client sent to another edge by a drain leaves no will. */
export function closeClient(ctx: EdgeContext, client: Client, reason: CloseReason, done?: () => void): void {
  if (reason === 'drain') aedesInternals.forgetWill(client);
  noteCloseReason(ctx, client, reason);
  client.close(done);
}

/** Why the edge is closing `client`, for the close's log line and metric. */
function noteCloseReason(ctx: EdgeContext, client: Client, reason: CloseReason): void {
  const session = ctx.sessions.of(client);
  if (session) session.closeReason = reason;
}

/**
 * A connection taken over on this edge, which aedes closes: the server closes it without a
 * DISCONNECT, so its will is published [MQTT-3.1.2-8], as Mosquitto and Eclipse Paho's reference
 * broker do. It goes out as the old connection closes, during the new one's CONNECT, so before
 * anything the client publishes after its CONNACK. aedes would also delete the client's stored
 * will, which by then is the new connection's: so the old one is published here, from memory, and
 * the stored one is left alone.
 */
export function markTakenOver(ctx: EdgeContext, previous: Client): void {
  const will = aedesInternals.takeWill(previous);
  if (will)
    aedesInternals.whenClosed(previous, () =>
      aedesInternals.publishAs(ctx.broker, will, previous, (error) => {
        if (error) ctx.logger.warn({ err: error, clientId: previous.id }, 'publishing the will of a connection taken over failed');
      }),
    );
  noteCloseReason(ctx, previous, 'takeover');
}

/** A connection taken over by another edge: the client is not going offline, so no will. */
function markMovedAway(ctx: EdgeContext, previous: Client): void {
  aedesInternals.forgetWill(previous);
  noteCloseReason(ctx, previous, 'takeover');
}

/**
 * A connection taken over by another edge is not going offline, so its will must not be published
 * when aedes closes it: the client may have published on the new edge already, and a will published
 * here could reach subscribers after that (docs/yandex-behaviour.md §4.7). Subscribed before aedes
 * subscribes its own handler, so it runs first.
 */
export function watchRemoteTakeovers(mq: MQEmitter, edge: () => { ctx: EdgeContext } | undefined): void {
  mq.on('$SYS/+/new/clients', (message, done) => {
    const current = edge();
    const takenBy = message.topic.split('/')[1];
    if (current && takenBy !== aedesInternals.brokerId(current.ctx.broker)) {
      const previous = aedesInternals.clientById(current.ctx.broker, String(message.payload));
      if (previous) markMovedAway(current.ctx, previous);
    }
    done();
  });
}

/**
 * Messages published while the bus was away never reached this edge, but those for persistent
 * sessions are stored: closing those sessions makes their clients reconnect and fetch them.
 */
export function reconnectPersistentSessions(ctx: EdgeContext): void {
  const persistent = aedesInternals.clients(ctx.broker).filter((client) => !aedesInternals.isClean(client));
  ctx.logger.warn({ sessions: persistent.length }, 'Redis bus reconnected; closing persistent sessions so they collect what they missed');
  for (const client of persistent) client.close();
}

/**
 * A principal that came with an expiry (a live-view credential, registry auth/authenticator.ts) is
 * disconnected then: the credential bounds the connection, not just the CONNECT.
 */
export function endAtExpiry(ctx: EdgeContext, session: Session): void {
  const expiresAt = session.principal.expires_at_ms;
  if (!expiresAt) return;
  const timer = setTimeout(
    () => {
      if (ctx.sessions.of(session.client) !== session) return;
      const reason = 'credential expired';
      ctx.logger.info({ event: 'revoked', id: session.principal.id, clientId: session.client.id, reason }, `disconnecting: ${reason}`);
      ctx.connectionLog.record(session.principal, LOG_LEVELS.WARN, 'revoked', `disconnecting: ${reason}`, {
        client_id: clientIdOf(session),
        reason,
      });
      closeClient(ctx, session.client, 'revoked');
    },
    Math.max(0, expiresAt - Date.now()),
  );
  timer.unref();
}

/** Ends sessions the registry revokes (see revocation-enforcer.ts). */
export function enforceRevocations(ctx: EdgeContext, source: RevocationSource): RevocationEnforcer<Session> {
  return new RevocationEnforcer({
    source,
    link: ctx.link,
    logger: ctx.logger,
    sessions: () => aedesInternals.clients(ctx.broker).flatMap((client) => ctx.sessions.of(client) ?? []),
    revoke: (session, reason) => {
      ctx.logger.info({ event: 'revoked', id: session.principal.id, clientId: session.client.id, reason }, `disconnecting: ${reason}`);
      ctx.connectionLog.record(session.principal, LOG_LEVELS.WARN, 'revoked', `disconnecting: ${reason}`, {
        client_id: clientIdOf(session),
        reason,
      });
      closeClient(ctx, session.client, 'revoked');
    },
    invalidate: (revocation) => {
      if (!revocation) return ctx.deviceOwners.forgetAll();
      if (revocation.kind === 'DEVICE_DELETED') {
        ctx.monitor.forget(revocation.entity_id);
        ctx.deviceOwners.forget(revocation.entity_id);
      }
    },
    onRecheck: () => ctx.metrics.revocationRechecks.inc(),
  });
}

/** Closes every connection spread over `windowMs`, so clients reconnect to other edges gradually. */
export async function drainConnections(ctx: EdgeContext, windowMs: number): Promise<void> {
  const clients = aedesInternals.clients(ctx.broker);
  ctx.logger.info({ clients: clients.length, windowMs }, 'draining: closing connections so clients move to other edges');
  await Promise.all(
    clients.map(
      (client, index) =>
        new Promise<void>((resolve) => {
          setTimeout(() => closeClient(ctx, client, 'drain', resolve), (windowMs * index) / clients.length);
        }),
    ),
  );
}

function errorReason(error: Error): CloseReason {
  if (error.message === 'drain timeout') return 'slow_consumer';
  return (error as NodeJS.ErrnoException).code ? 'connection_lost' : 'protocol_error';
}
