// Delivery: may this subscriber receive the message, under which topic name and QoS? Called by
// aedes for every message and every matching subscriber: the hot path. Decisions and routes are
// remembered per connection (topics/acl.ts, topics/routes.ts).
import type { Aedes, PublishPacket } from 'aedes';
import { isInternalTopic } from '../topics/namespace.js';
import { liveRoute, replayRoute } from '../topics/routes.js';
import { aedesInternals } from '../aedes/internals.js';
import type { EdgeContext } from '../context.js';
import type { Session } from '../session.js';
import { sharedGroupOf } from '../shared-subscriptions.js';
import { publishBillingUnits } from '../billing.js';

type ForwardedPacket = Parameters<Aedes['authorizeForward']>[1];

/**
 * A subscriber this far behind gets no more QoS 0 messages until it catches up. The bus does not
 * wait for QoS 0 deliveries (bus/bounded-emitter.ts), so this is what bounds what one slow
 * subscriber holds; about 85 ms of a 100,000 msg/s registry consumer's traffic.
 */
const MAX_UNSENT_BYTES = 1024 * 1024;

export function authorizeForwardHook(ctx: EdgeContext): Aedes['authorizeForward'] {
  return (client, packet) => {
    const session = ctx.sessions.of(client);
    if (!session) return null;
    const group = sharedGroupOf(packet);
    if (group !== undefined) return forwardShared(ctx, session, packet, group);
    const { brokerId, brokerCounter } = packet as PublishPacket & { brokerId?: string; brokerCounter?: number };
    // A message is offered twice only through overlapping subscriptions, or live and from the
    // store of a persistent session that is just resuming.
    const mayRepeat = session.subscriptions.size > 1 || !aedesInternals.isClean(client);
    if (brokerId && mayRepeat && !session.deliveries.firstTime(`${brokerId}:${brokerCounter}`)) return null;
    // Stored QoS 1 messages of persistent sessions were translated on first delivery.
    if (!isInternalTopic(packet.topic)) return packet;
    if (!session.policy.mayReceive(packet.topic)) return null;
    const route = packet.retain
      ? replayRoute(session.subscriptions, packet.topic)
      : liveRoute(session.subscriptions, session.routes, packet.topic, session.policy.remembered);
    if (!route) return null;
    packet.topic = route.clientTopic;
    // aedes downgrades only when the subscription is keyed by the packet's own topic.
    packet.qos = Math.min(packet.qos, route.subscription.qos) as typeof packet.qos;
    if (behind(ctx, session, packet)) return null;
    counted(ctx, session, packet);
    return packet;
  };
}

/**
 * A message for one member of a shared group (shared-subscriptions.ts picked this session): named
 * as the member subscribed, and a QoS 1 one remembered under its packet identifier until PUBACK,
 * to go to another member if this one leaves first. Never deduplicated: the member gets it once
 * for the group besides any plain subscription of its own, as MQTT 5 has it.
 */
function forwardShared(ctx: EdgeContext, session: Session, packet: ForwardedPacket, group: string): ForwardedPacket | null {
  const subscription = session.subscriptions.get(group);
  if (!subscription || !session.policy.mayReceive(packet.topic)) return null;
  // A filter over alias names takes only messages whose alias name it matches (every member's the same).
  const clientTopic = subscription.toClient(packet.topic);
  if (clientTopic === undefined || behind(ctx, session, packet)) return null;
  const message = { ...packet };
  packet.topic = clientTopic;
  if (packet.qos === 1) {
    packet.messageId = aedesInternals.takeMessageId(session.client);
    ctx.shared?.sent(session, packet.messageId, group, message);
  }
  counted(ctx, session, packet);
  return packet;
}

/** A QoS 0 message for a subscriber too far behind: dropped for it alone, and counted. */
function behind(ctx: EdgeContext, session: Session, packet: PublishPacket): boolean {
  if (packet.qos !== 0 || aedesInternals.unsentBytes(session.client) <= MAX_UNSENT_BYTES) return false;
  ctx.metrics.dropped.inc({ reason: 'slow_consumer' });
  return true;
}

function counted(ctx: EdgeContext, session: Session, packet: PublishPacket): void {
  session.meters.delivered[packet.qos === 0 ? 0 : 1].inc();
  session.meters.deliveredBytes.inc(packet.payload.length);
  session.meters.billing.inc(publishBillingUnits(packet.topic, packet.payload.length, packet.qos));
  if (packet.qos === 1) {
    session.unacknowledged++;
    ctx.inflight.out.inc();
  }
}
