// PUBLISH: may this client publish here (docs/yandex-behaviour.md, topics and permissions)? A
// refused PUBLISH closes the connection. An accepted one gets its internal topic, its RETAIN flag
// from the topic (permanent topics), the publish rate check, and — for QoS 1 — is published before
// aedes sends PUBACK, so PUBACK means stored and handed to the bus.
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { PublishDecision, TopicPolicy } from '../topics/acl.js';
import { isInternalTopic } from '../topics/namespace.js';
import { aedesInternals } from '../aedes/internals.js';
import { recordActivity, type EdgeContext } from '../context.js';
import { LOG_LEVELS } from '../../contracts/connection-logs.js';
import { clientIdOf } from '../session.js';
import type { DeviceOwnerCache } from '../registry-link/device-owner-cache.js';
import { exportMessage } from '../export/message-exports.js';

/** Where handled publishes go: acknowledged, but no subscription can ever match it, and nothing leaves the process. */
export const DROPPED_TOPIC = '$iot-dropped';

/**
 * The whole publish check, shared with the data-plane API: the topic policy, and for a registry
 * publishing to a device, that the device is one of its own.
 */
export async function decidePublish(policy: TopicPolicy, topic: string, deviceOwners: DeviceOwnerCache): Promise<PublishDecision> {
  const decision = policy.authorizePublish(topic);
  if (!decision.ok || !decision.requiresDeviceOf) return decision;
  const { deviceId, registryId } = decision.requiresDeviceOf;
  if (await deviceOwners.isDeviceOf(deviceId, registryId)) return decision;
  return { ok: false, reason: `publish to topic "${topic}" not allowed: device of another registry or unknown` };
}

export function authorizePublishHook(ctx: EdgeContext): Aedes['authorizePublish'] {
  const { metrics, logger } = ctx;
  return (client, packet, callback) => {
    if (!client) return claimOrphanWill(ctx, packet, callback);
    // A will was authorized and given its internal topic at CONNECT.
    if (aedesInternals.isWill(client, packet)) return callback(null);
    const session = ctx.sessions.of(client);
    if (!session) return callback(new Error('publish without an authenticated session'));
    const close = (event: 'publish_denied' | 'oversize', reason: string) => {
      metrics.dropped.inc({ reason: event === 'oversize' ? 'size' : 'acl' });
      session.closeReason = event === 'oversize' ? 'protocol_error' : 'publish_denied';
      logger.info({ event, id: session.principal.id, clientId: client.id, topic: packet.topic }, `disconnected: ${reason}`);
      ctx.connectionLog.record(session.principal, LOG_LEVELS.ERROR, event, `disconnected: ${reason}`, {
        client_id: clientIdOf(session),
        topic: packet.topic,
        reason,
      });
      callback(new Error(reason));
    };
    const deny = (reason: string) => close('publish_denied', reason);
    const accept = (decision: Extract<PublishDecision, { ok: true }>) => {
      if (!ctx.limits.allowPublish(session.principal)) {
        metrics.dropped.inc({ reason: 'rate' });
        logger.debug({ event: 'rate_limited', id: session.principal.id, topic: packet.topic }, 'publish dropped: rate limit');
        drop(packet);
        return callback(null);
      }
      exportMessage(ctx.exports, session.principal, decision.exportTopic, packet.payload);
      packet.topic = decision.internalTopic;
      // The RETAIN flag is not supported (docs/yandex-behaviour.md §4.3): storage is decided by the topic name.
      packet.retain = decision.permanent;
      recordActivity(ctx, session, 'last_pub_activity_time');
      session.meters.received[packet.qos === 0 ? 0 : 1].inc();
      session.meters.receivedBytes.inc(packet.payload.length);
      if (packet.qos !== 1) return callback(null);
      ctx.inflight.in.inc();
      publishBeforeAck(ctx, client, packet, (error) => {
        ctx.inflight.in.dec();
        callback(error);
      });
    };
    // Yandex's limit is on the message: the packet-size guard let through room for the longest topic.
    if (packet.payload.length > ctx.maxMessageBytes) {
      return close('oversize', `payload of ${packet.payload.length} bytes exceeds the limit of ${ctx.maxMessageBytes}`);
    }
    const decision = session.policy.authorizePublish(packet.topic);
    if (!decision.ok) return deny(decision.reason);
    if (!decision.requiresDeviceOf) return accept(decision);
    decidePublish(session.policy, packet.topic, ctx.deviceOwners).then(
      (checked) => (checked.ok ? accept(checked) : deny(checked.reason)),
      (error: Error) => callback(error),
    );
  };
}

/**
 * aedes sends PUBACK before it publishes, so a crash in between would lose a message the client
 * was told is safe. Publish here first (stored for offline persistent subscribers, handed to the
 * bus), and only then let aedes acknowledge, its own publish of the packet going nowhere.
 */
function publishBeforeAck(ctx: EdgeContext, client: Client, packet: PublishPacket, callback: (error: Error | null) => void): void {
  aedesInternals.publishAs(ctx.broker, packet, client, (error) => {
    if (error) {
      ctx.logger.warn({ err: error, clientId: client.id }, 'publish failed; closing without PUBACK so the client sends it again');
      return callback(error);
    }
    drop(packet);
    callback(null);
  });
}

/**
 * The will of a client whose edge died (aedes passes no client). Every surviving edge finds it in
 * its sweep; only the one whose delete of the stored will succeeds publishes it, the others let it
 * go nowhere, so it is published once.
 */
function claimOrphanWill(ctx: EdgeContext, packet: PublishPacket, callback: (error: Error | null) => void): void {
  const will = packet as PublishPacket & { clientId: string; brokerId: string };
  const internal = isInternalTopic(packet.topic);
  aedesInternals.deleteStoredWill(ctx.broker, will).then(
    (claimed) => {
      if (!claimed || !internal) drop(packet);
      callback(null);
    },
    (error: Error) => callback(error),
  );
}

function drop(packet: PublishPacket): void {
  packet.topic = DROPPED_TOPIC;
  packet.retain = false;
}
