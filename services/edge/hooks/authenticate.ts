// CONNECT: who is this client (docs/yandex-behaviour.md, authentication)? The registry decides; the
// edge refuses brute-force guessing early, refuses a will the client could not publish itself, caps
// connections per principal, and scopes the client ID by principal before aedes takes over.
import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { AuthOutcome } from '../../contracts/principal.js';
import { TopicPolicy } from '../topics/acl.js';
import { malformedTopicNameError, NOT_UTF8 } from '../topics/topic-syntax.js';
import { aedesInternals } from '../aedes/internals.js';
import { newSession, type Session } from '../session.js';
import { meterOwnerOf, type EdgeContext } from '../context.js';
import { billingUnits, packetBytes } from '../billing.js';
import { rewriteIncomingPackets } from './authorize-subscribe.js';
import { LOG_LEVELS } from '../../contracts/connection-logs.js';
import type { LogOwner } from '../connection-log.js';
import { clientIdOf } from '../session.js';
import { endAtExpiry } from '../lifecycle.js';

// CONNACK return codes of MQTT 3.1.1.
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

// [MQTT-3.1.3-7/8]: a server-assigned client ID is for clean sessions only (a persistent session
// could never be found again under it). aedes assigns one either way, so preConnect notes such
// clients and authenticate refuses them with CONNACK 2.
const persistentWithoutId = new WeakSet<Client>();
/** The size of each client's CONNECT, billed once it is accepted (billing.ts). */
const connectBytes = new WeakMap<Client, number>();

export function preConnectHook(maxMessageBytes: number): Aedes['preConnect'] {
  return (client, packet, done) => {
    // "If the User Name Flag is set to 0, the Password Flag MUST be set to 0" [MQTT-3.1.2-22]: a
    // protocol violation, closed as Mosquitto does, not a wrong password.
    if (packet.password !== undefined && packet.username === undefined) return done(new Error('password without a user name'), false);
    // A will topic is a topic name: empty, with a wildcard or a NUL it is a protocol violation
    // [MQTT-4.7.3-1/2, MQTT-3.3.2-2], so the connection is closed without a CONNACK [MQTT-4.8.0-1],
    // as a PUBLISH to such a topic closes it (Mosquitto does the same). So is a will message over
    // the message size limit, as a PUBLISH of it would be.
    const willTopicError = packet.will ? malformedTopicNameError(packet.will.topic) : undefined;
    if (willTopicError) return done(new Error(`malformed will topic: ${willTopicError}`), false);
    const willBytes = packet.will?.payload?.length ?? 0;
    if (willBytes > maxMessageBytes)
      return done(new Error(`will message of ${willBytes} bytes exceeds the limit of ${maxMessageBytes}`), false);
    if (!packet.clientId && !packet.clean) persistentWithoutId.add(client);
    connectBytes.set(client, packetBytes(packet.length ?? 0));
    // "If the Server rejects the CONNECT, it MUST NOT process any data sent by the Client after the
    // CONNECT Packet" [MQTT-3.1.4-5]: aedes answered an UNSUBSCRIBE arriving right after CONNECT
    // before its CONNACK 5 (found by the mqtt-packets fuzz target, test/fuzz/).
    aedesInternals.holdInputUntilConnected(client);
    done(null, true);
  };
}

export function authenticateHook(ctx: EdgeContext): Aedes['authenticate'] {
  const { metrics, logger, throttle } = ctx;
  return (client, username, password, done) => {
    const info = ctx.connections.get(client.conn as Duplex) ?? { remoteAddress: '', remotePort: 0 };
    const authStarted = process.hrtime.bigint();
    /** `owner`: the entity whose log records the failure, when the credentials named an existing one. */
    const fail = (code: number, reason: string, owner?: LogOwner) => {
      metrics.connacks.inc({ code: String(code) });
      logger.info(
        { event: 'auth_failed', clientId: client.id, username, address: info.remoteAddress, cert: info.certificateFingerprint, reason },
        'authentication failed',
      );
      ctx.connectionLog.record(owner, LOG_LEVELS.ERROR, 'auth_failed', `authentication failed: ${reason}`, {
        client_id: client.id,
        username: username ?? undefined,
        cert: info.certificateFingerprint,
        address: `${info.remoteAddress}:${info.remotePort}`,
        reason,
      });
      done(Object.assign(new Error(reason), { returnCode: code }) as never, null);
    };
    if (persistentWithoutId.has(client)) return fail(IDENTIFIER_REJECTED, 'empty client ID with CleanSession=0');
    if (client.id.includes(NOT_UTF8)) return fail(IDENTIFIER_REJECTED, 'client ID is not valid UTF-8');
    if (!ctx.persistenceWritable()) return fail(SERVER_UNAVAILABLE, 'MQTT session store unavailable');
    const address = info.remoteAddress;
    // Clients without a username (certificate only) are told apart by their certificate.
    const identity = username ?? (info.certificateFingerprint ? `certificate:${info.certificateFingerprint}` : '');
    throttle
      .refusal(address, identity)
      .then(async (refused) => {
        if (refused) {
          metrics.authThrottled.inc({ scope: refused });
          return fail(
            NOT_AUTHORIZED,
            `too many failed attempts from this address${refused === 'address' ? '' : ' for this username'}; retry later`,
          );
        }
        const outcome: AuthOutcome = await ctx.link.authenticate({
          username: username ?? '',
          password: password ?? undefined,
          certificate_fingerprint: info.certificateFingerprint,
        });
        metrics.authSeconds.observe(Number(process.hrtime.bigint() - authStarted) / 1e9);
        if (outcome.result !== 'OK') {
          if (outcome.result === 'NOT_AUTHORIZED') {
            // No guess: TLS proved the key of any certificate, and a refused principal (a disabled
            // registry's device) knew its password. Not counted, so such devices retrying behind
            // one NAT do not get its address refused.
            throttle.abandoned(address, identity);
            return fail(NOT_AUTHORIZED, outcome.reason, outcome.subject);
          }
          // A wrong password or unknown username: counted before CONNACK, so the next attempt from
          // this address already sees it.
          if ((await throttle.failure(address, identity)).usernameGuessed) {
            metrics.guessedUsernames.inc();
            logger.warn(
              { event: 'credential_guessing', username: identity.slice(0, 200) },
              'many failed attempts for one username: its credential is being guessed',
            );
          }
          return fail(BAD_USERNAME_OR_PASSWORD, outcome.reason, outcome.subject);
        }
        void throttle.success(address, identity);
        const { principal } = outcome;
        // A will the principal could not publish itself is refused up front (docs/yandex-behaviour.md §4.7).
        const will = aedesInternals.pendingWill(client);
        const policy = new TopicPolicy(principal);
        const willDecision = will ? policy.authorizePublish(will.topic) : undefined;
        if (willDecision && !willDecision.ok) return fail(NOT_AUTHORIZED, `will topic "${will!.topic}" not allowed`, principal);
        if (!ctx.limits.openConnection(principal))
          return fail(NOT_AUTHORIZED, `connection limit of the ${principal.kind} reached`, principal);
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
        const session = newSession(client, principal, policy, info, metrics.meters(meterOwnerOf(principal)));
        ctx.sessions.add(session);
        endAtExpiry(ctx, session);
        // Replaced by RecentDeliveries in authorizeForward (see bus/recent-deliveries.ts).
        aedesInternals.disableCounterDedup(client);
        // Before aedes restores a persistent session's subscriptions, which deliver through these.
        aedesInternals.holdDeliveriesUntilConnack(client);
        rewriteIncomingPackets(ctx, client, session);
        connected(ctx, client, session);
        if (await sessionExisted(ctx, session, previous)) aedesInternals.reportSessionPresent(client);
        if (aedesInternals.isClean(client)) aedesInternals.startMessageIdsAtOne(client);
        done(null, true);
      })
      .catch((error: unknown) => {
        throttle.abandoned(address, identity);
        logger.error({ err: error }, 'registry unavailable for authentication');
        fail(SERVER_UNAVAILABLE, 'registry service unavailable');
      });
  };
}

/**
 * Whether the client's persistent session already existed, for CONNACK's Session Present
 * [MQTT-3.2.2-2]: aedes sets it only when it finds stored subscriptions, so a session without any
 * (a device that only publishes) also counts when the ledger has an entry for it (offline, or held
 * by a connection here or on another edge), or when a persistent connection of it is taken over
 * here. A clean CONNECT ends the session in the ledger too, and is not kept waiting for that.
 */
async function sessionExisted(ctx: EdgeContext, session: Session, previous: Client | undefined): Promise<boolean> {
  const { ledger } = ctx;
  const { client } = session;
  if (aedesInternals.isClean(client)) {
    ledger
      ?.ended(client.id)
      .catch((error: unknown) => ctx.logger.warn({ err: error, clientId: client.id }, 'could not record a session ended'));
    return false;
  }
  const existed =
    ledger?.held(client.id, session.serial).catch((error: unknown) => {
      ctx.logger.warn({ err: error, clientId: client.id }, 'could not record a session held');
      return false;
    }) ?? Promise.resolve(false);
  return (previous !== undefined && !aedesInternals.isClean(previous)) || (await existed);
}

function connected(ctx: EdgeContext, client: Client, session: Session): void {
  const { principal, info } = session;
  if (principal.kind === 'device') {
    const now = new Date();
    ctx.monitor.record(principal.id, principal.registry_id, {
      last_auth_ip: info.remoteAddress,
      last_auth_time: now,
      last_online_time: now,
    });
  }
  ctx.metrics.connacks.inc({ code: '0' });
  ctx.metrics.opened.inc();
  ctx.metrics.connections.inc({ kind: principal.kind });
  session.meters.connections.inc();
  session.meters.billing.inc(billingUnits(connectBytes.get(client) ?? 0));
  ctx.logger.info(
    {
      event: 'connected',
      kind: principal.kind,
      id: principal.id,
      clientId: client.id,
      address: `${info.remoteAddress}:${info.remotePort}`,
      cert: info.certificateFingerprint,
    },
    'connected',
  );
  const credential = info.certificateFingerprint ? `cert: "${info.certificateFingerprint}"` : `username: "${principal.id}"`;
  const address = `${info.remoteAddress}:${info.remotePort}`;
  ctx.connectionLog.record(
    principal,
    LOG_LEVELS.INFO,
    'connected',
    `connected, ${credential}, address: "${address}", clientID: "${clientIdOf(session)}"`,
    { client_id: clientIdOf(session), address, cert: info.certificateFingerprint },
  );
}
