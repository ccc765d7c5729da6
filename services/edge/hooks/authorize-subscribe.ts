// SUBSCRIBE: may this client read what the filter matches (docs/yandex-behaviour.md, topics and
// permissions)? A refused filter gets SUBACK 0x80 alone; an accepted one is rewritten to its
// internal filter, remembering how to name deliveries for the client. QoS 2 is granted as QoS 1.
// A shared subscription (`$share/<group>/<filter>`) is decided on its filter, exactly as a plain
// one, and its session joins the group (shared-subscriptions.ts).
import type { Aedes, Client } from 'aedes';
import type { Principal } from '../../contracts/principal.js';
import { INTERNAL_ROOT, brokerExternal, toCanonical } from '../topics/namespace.js';
import type { SubscribeDecision } from '../topics/acl.js';
import { isSharedKey, parseSharedFilter, parseSharedKey, sharedKey } from '../topics/shared-filter.js';
import { aedesInternals } from '../aedes/internals.js';
import { MAX_TOPIC_LEVELS, topicLevels } from '../topics/topic-syntax.js';
import { recordActivity, type EdgeContext } from '../context.js';
import { clientIdOf, type Session } from '../session.js';
import { LOG_LEVELS } from '../../contracts/connection-logs.js';
import { billingUnits, packetBytes } from '../billing.js';

/**
 * aedes closes the connection over a filter deeper than its matcher takes (100 levels) before any
 * hook sees it. Such a filter is renamed, as it is parsed, to a placeholder aedes takes (one per
 * position: aedes merges repeated filters), and refused here by its own name: SUBACK 0x80 for it
 * alone, as for every refused filter.
 */
const tooDeep = new WeakMap<object, string>();
const TOO_DEEP_PLACEHOLDER = '$iot-too-deep';

export function authorizeSubscribeHook(ctx: EdgeContext): Aedes['authorizeSubscribe'] {
  return (client, sub, callback) => {
    const session = ctx.sessions.of(client);
    if (!session) return callback(new Error('subscribe without an authenticated session'));
    // A restored persistent session re-authorizes the internal filters it stored.
    const requested = tooDeep.get(sub) ?? externalName(session.principal, sub.topic) ?? sub.topic;
    const shared = parseSharedFilter(requested);
    const decision: SubscribeDecision =
      shared === undefined
        ? session.policy.authorizeSubscribe(requested)
        : 'error' in shared
          ? { ok: false, reason: shared.error }
          : !ctx.shared
            ? { ok: false, reason: 'shared subscriptions need the route bus (--cluster-bus routes)' }
            : session.policy.authorizeSubscribe(shared.filter);
    const deny = (reason: string) => {
      const filter = tooDeep.get(sub) ?? sub.topic;
      ctx.logger.info(
        { event: 'subscribe_denied', id: session.principal.id, clientId: client.id, filter },
        `some of subscriptions failed: ${reason}`,
      );
      ctx.connectionLog.record(session.principal, LOG_LEVELS.ERROR, 'subscribe_denied', `some of subscriptions failed: ${reason}`, {
        client_id: clientIdOf(session),
        filter,
        reason,
      });
      callback(null, null);
    };
    const grant = (granted: Extract<SubscribeDecision, { ok: true }>) => {
      const group = shared && 'group' in shared ? shared.group : undefined;
      const internalFilter = group === undefined ? granted.internalFilter : sharedKey(group, granted.internalFilter);
      if (ctx.maxSubscriptions > 0 && session.subscriptions.size >= ctx.maxSubscriptions && !session.subscriptions.has(internalFilter)) {
        ctx.metrics.limitHits.inc({ limit: 'subscriptions' });
        if (!session.limitLogged)
          ctx.logger.warn(
            { event: 'limit', limit: 'subscriptions', id: session.principal.id, clientId: client.id, max: ctx.maxSubscriptions },
            `subscription refused: at most ${ctx.maxSubscriptions} per connection`,
          );
        session.limitLogged = true;
        return callback(null, null);
      }
      session.subscriptions.set(internalFilter, {
        toClient: granted.toClient,
        // Stored values are not sent to shared subscriptions [MQTT5 4.8.2]: aedes finds none under a group key.
        replayPermanent: granted.replayPermanent && group === undefined,
        replayed: 0,
        qos: sub.qos,
      });
      if (group !== undefined) ctx.shared?.join(internalFilter, session);
      session.routes.clear();
      session.clientFilters.set(requested, internalFilter);
      recordActivity(ctx, session, 'last_sub_activity_time');
      // Rewritten in place: aedes looks up stored (permanent) messages with this same object.
      sub.topic = internalFilter;
      callback(null, sub);
    };
    if (!decision.ok) return deny(decision.reason);
    if (!decision.requiresDeviceOf) return grant(decision);
    const { deviceId, registryId } = decision.requiresDeviceOf;
    ctx.deviceOwners.isDeviceOf(deviceId, registryId).then(
      (mine) => (mine ? grant(decision) : deny(`not allowed to subscribe: "${requested}": device of another registry or unknown`)),
      (error: Error) => callback(error),
    );
  };
}

/** The packets after CONNECT that Yandex billed (billing.ts). */
const BILLED_COMMANDS = new Set(['publish', 'subscribe', 'pingreq']);

/**
 * Packet rewrites aedes has no hook for, applied as each packet is parsed: SUBSCRIBE asking QoS 2
 * is granted QoS 1 (aedes would answer SUBACK with the QoS requested), and UNSUBSCRIBE names the
 * internal filters the subscriptions were rewritten to. A PUBACK settles a shared delivery. A
 * packet identifier of 0 where one is required closes the connection. What the client sends is
 * counted in billing messages here too.
 */
export function rewriteIncomingPackets(ctx: EdgeContext, client: Client, session: Session): void {
  aedesInternals.beforeEachPacket(
    client,
    (packet: {
      cmd: string;
      length: number;
      qos?: number;
      messageId?: number;
      unsubscriptions?: string[];
      subscriptions?: Array<{ topic: string; qos: number }>;
    }) => {
      if (BILLED_COMMANDS.has(packet.cmd)) session.meters.billing.inc(billingUnits(packetBytes(packet.length)));
      // A packet identifier is non-zero [MQTT-2.3.1-1], which aedes does not check (Mosquitto closes too).
      if (packet.messageId === 0 && (packet.cmd === 'subscribe' || packet.cmd === 'unsubscribe' || (packet.qos ?? 0) > 0)) {
        session.closeReason = 'protocol_error';
        aedesInternals.closeOver(packet);
        return;
      }
      if (packet.cmd === 'puback') {
        if (session.sharedUnacknowledged.size > 0) session.sharedUnacknowledged.delete(packet.messageId!);
        return;
      }
      if (packet.cmd === 'subscribe') {
        for (const [index, subscription] of (packet.subscriptions ?? []).entries()) {
          subscription.qos = Math.min(subscription.qos, 1);
          if (topicLevels(subscription.topic) > MAX_TOPIC_LEVELS) {
            tooDeep.set(subscription, subscription.topic);
            subscription.topic = `${TOO_DEEP_PLACEHOLDER}/${index}`;
          }
        }
        return;
      }
      if (packet.cmd !== 'unsubscribe' || !packet.unsubscriptions) return;
      packet.unsubscriptions = packet.unsubscriptions.map((filter) => {
        const internal = session.clientFilters.get(filter);
        if (internal) {
          session.clientFilters.delete(filter);
          session.subscriptions.delete(internal);
          if (isSharedKey(internal)) ctx.shared?.leave(internal, session);
          session.routes.clear();
        }
        return internal ?? filter;
      });
    },
  );
}

/** The client-facing form of an internal filter or group key (persistent sessions store those). */
function externalName(principal: Principal, filter: string): string | undefined {
  const group = isSharedKey(filter) ? parseSharedKey(filter) : undefined;
  if (group) {
    const inner = externalName(principal, group.filter);
    return inner === undefined ? undefined : `$share/${group.group}/${inner}`;
  }
  if (principal.kind === 'broker') return brokerExternal(principal.id, filter);
  return filter.startsWith(`${INTERNAL_ROOT}/${principal.registry_id}/`) ? toCanonical(filter) : undefined;
}
