// CONNECT: who is this client (docs/yandex-behaviour.md, authentication)? The registry decides; the
// edge refuses brute-force guessing early, refuses a will the client could not publish itself, caps
// connections per principal, and scopes the client ID by principal before aedes takes over.
import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { AuthOutcome } from '../../contracts/principal.js';
import { TopicPolicy } from '../topics/acl.js';
import { aedesInternals } from '../aedes/internals.js';
import { newSession } from '../session.js';
import { registryLabelOf, type EdgeContext } from '../context.js';
import { rewriteIncomingPackets } from './authorize-subscribe.js';

// CONNACK return codes of MQTT 3.1.1.
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export function authenticateHook(ctx: EdgeContext): Aedes['authenticate'] {
  const { metrics, logger, throttle } = ctx;
  return (client, username, password, done) => {
    const info = ctx.connections.get(client.conn as Duplex) ?? { remoteAddress: '', remotePort: 0 };
    const keys = [`ip:${info.remoteAddress}`, `user:${username ?? ''}`];
    const authStarted = process.hrtime.bigint();
    const fail = (code: number, reason: string) => {
      metrics.connacks.inc({ code: String(code) });
      logger.info({ event: 'auth_failed', clientId: client.id, username, address: info.remoteAddress, cert: info.certificateFingerprint, reason }, 'authentication failed');
      done(Object.assign(new Error(reason), { returnCode: code }) as never, null);
    };
    if (throttle.isBlocked(keys)) return fail(NOT_AUTHORIZED, 'too many failed attempts; retry later');
    ctx.link
      .authenticate({ username: username ?? '', password: password ?? undefined, certificate_fingerprint: info.certificateFingerprint })
      .then((outcome: AuthOutcome) => {
        metrics.authSeconds.observe(Number(process.hrtime.bigint() - authStarted) / 1e9);
        if (outcome.result !== 'OK') {
          throttle.failure(keys);
          return fail(outcome.result === 'BAD_USERNAME_OR_PASSWORD' ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, outcome.reason);
        }
        throttle.success(keys);
        const { principal } = outcome;
        // A will the principal could not publish itself is refused up front (spec §4.7).
        const will = aedesInternals.pendingWill(client);
        const policy = new TopicPolicy(principal);
        const willDecision = will ? policy.authorizePublish(will.topic) : undefined;
        if (willDecision && !willDecision.ok) return fail(NOT_AUTHORIZED, `will topic "${will!.topic}" not allowed`);
        if (!ctx.limits.openConnection(principal)) return fail(NOT_AUTHORIZED, `connection limit of the ${principal.kind} reached`);
        // Takeover and persistent sessions are per principal and client ID: a registry and a device
        // both connecting as "YCCmdLine" (yc's fixed ID) must not kick each other off.
        client.id = `${principal.id}/${client.id}`;
        // Stored with its internal topic, so any edge can publish it if this one dies.
        if (will && willDecision?.ok) {
          will.topic = willDecision.internalTopic;
          will.retain = willDecision.permanent;
        }
        const previous = aedesInternals.clientById(ctx.broker, client.id);
        if (previous) ctx.takenOver(previous);
        const session = newSession(client, principal, policy, info, metrics.meters(metrics.registry(registryLabelOf(principal))));
        ctx.sessions.add(session);
        // Replaced by RecentDeliveries in authorizeForward (see bus/recent-deliveries.ts).
        aedesInternals.disableCounterDedup(client);
        rewriteIncomingPackets(client, session);
        connected(ctx, client, session);
        done(null, true);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'registry unavailable for authentication');
        fail(SERVER_UNAVAILABLE, 'registry service unavailable');
      });
  };
}

function connected(ctx: EdgeContext, client: Client, session: ReturnType<typeof newSession>): void {
  const { principal, info } = session;
  if (principal.kind === 'device') {
    const now = new Date();
    ctx.monitor.record(principal.id, principal.registry_id, { last_auth_ip: info.remoteAddress, last_auth_time: now, last_online_time: now });
  }
  if (ctx.ledger && !aedesInternals.isClean(client)) {
    ctx.ledger.online(client.id).catch((error: unknown) => ctx.logger.warn({ err: error, clientId: client.id }, 'could not record a persistent session online'));
  }
  ctx.metrics.connacks.inc({ code: '0' });
  ctx.metrics.opened.inc();
  ctx.metrics.connections.inc({ kind: principal.kind });
  ctx.logger.info({ event: 'connected', kind: principal.kind, id: principal.id, clientId: client.id, address: `${info.remoteAddress}:${info.remotePort}`, cert: info.certificateFingerprint }, 'connected');
}
