// Shared subscriptions on one edge (`$share/<group>/<filter>`): which sessions are members of each
// group, the member a message for the group goes to (in turn, among connected ones), and the QoS 1
// messages a member has not acknowledged, which go to another member — on any edge — when it
// leaves (MQTT 5 §4.8.2). Which edge gets a message is the bus's choice (bus/shared-routing.ts).
//
// A shared subscription delivers only to connected members: a message reaching a group while none
// is connected is dropped and counted, as for a filter nobody holds, and nothing is queued for an
// offline persistent session through its shared subscriptions. Its subscription itself is kept
// with the session and joins the group again when the session resumes.
import type { Message } from 'mqemitter';
import type { PublishPacket } from 'aedes';
import { aedesInternals } from './aedes/internals.js';
import { SharedGroups } from './bus/shared-groups.js';
import { sharedMessagesRedispatched, type SharedDelivery, type SharedRouting } from './bus/shared-routing.js';
import { isSharedKey } from './topics/shared-filter.js';
import type { Session } from './session.js';

/** Marks a packet the edge hands to one member of a group: the value is the group's key. */
const SHARED_GROUP = Symbol('shared subscription group');

export type SharedPacket = PublishPacket & { [SHARED_GROUP]?: string };

/** The group a packet is delivered for, when it is a shared delivery (authorize-forward.ts). */
export function sharedGroupOf(packet: PublishPacket): string | undefined {
  return (packet as SharedPacket)[SHARED_GROUP];
}

export class SharedSubscriptions implements SharedDelivery {
  readonly #members = new SharedGroups<Session>();

  constructor(private readonly routing: SharedRouting) {
    routing.deliverThrough(this);
  }

  join(key: string, session: Session): void {
    this.#members.add(key, session);
  }

  leave(key: string, session: Session): void {
    this.#members.remove(key, session);
  }

  deliver(key: string, message: Message): boolean {
    const session = this.#members.next(key, (member) => aedesInternals.isConnected(member.client));
    const subscription = session?.subscriptions.get(key);
    if (!session || !subscription) return false;
    const qos = Math.min((message as { qos?: number }).qos ?? 0, subscription.qos);
    const packet = {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos,
      retain: false,
      dup: false,
      brokerId: message.brokerId,
      brokerCounter: message.brokerCounter,
      [SHARED_GROUP]: key,
    } as SharedPacket;
    // aedes calls authorizeForward synchronously in here: a QoS 1 delivery is recorded as
    // unacknowledged before this returns (authorize-forward.ts).
    aedesInternals.deliverTo(session.client, packet, qos);
    return true;
  }

  /** A QoS 1 delivery to a member, not yet acknowledged; `message` is what the group received. */
  sent(session: Session, messageId: number, key: string, message: Message): void {
    session.sharedUnacknowledged.set(messageId, { key, message });
  }

  /** The member left: it leaves its groups, and each message it had not acknowledged goes to another member. */
  left(session: Session): void {
    for (const key of session.subscriptions.keys()) if (isSharedKey(key)) this.#members.remove(key, session);
    for (const { key, message } of session.sharedUnacknowledged.values()) this.routing.redispatch(key, message);
    sharedMessagesRedispatched.inc(session.sharedUnacknowledged.size);
    session.sharedUnacknowledged.clear();
  }
}
