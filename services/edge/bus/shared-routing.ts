// Where a message for a shared subscription goes. The bus decides which edge (the route table
// knows the edges holding members of each group: routed-bus.ts), the edge which of its sessions
// (shared-subscriptions.ts). Within one process every member is local: `localSharedRouting`.
import type { MQEmitter, Message } from 'mqemitter';
import { Counter } from 'prom-client';
import { isSharedKey } from '../topics/shared-filter.js';
import { SharedGroups } from './shared-groups.js';

/** The edge's side: hands a message to one of its own members of a group. */
export interface SharedDelivery {
  /** Delivers `message` to one connected member of the group `key` here; false when there is none. */
  deliver(key: string, message: Message): boolean;
}

/** The bus's side. */
export interface SharedRouting {
  /** Set by the edge before its clients connect. */
  deliverThrough(delivery: SharedDelivery): void;
  /** A member left with `message` unacknowledged: another member gets it, wherever it is. */
  redispatch(key: string, message: Message): void;
}

export const sharedMessagesRedispatched = new Counter({
  name: 'iotcore_shared_messages_redispatched_total',
  help: 'QoS 1 messages of a shared-subscription group sent to another member because theirs left before PUBACK',
});

export const sharedMessagesUndeliverable = new Counter({
  name: 'iotcore_shared_messages_undeliverable_total',
  help: 'messages for a shared-subscription group that had no connected member left (dropped, as for a filter nobody subscribes to)',
});

/** In-process shared subscriptions, which also say whether a topic has a group to go to. */
export interface LocalSharedRouting extends SharedRouting {
  /** Whether a message on `topic` matches the filter of a group with members. */
  wants(topic: string): boolean;
}

/**
 * Shared subscriptions on an in-process emitter: aedes subscribes each member to the group's key,
 * which the emitter keeps out of its own trie (no message would ever match it); each message
 * matching a group's filter goes to the edge, which picks the member.
 */
export function localSharedRouting(emitter: MQEmitter): LocalSharedRouting {
  /** Members are aedes' delivery functions, one per subscribed client: only the groups matter here. */
  const groups = new SharedGroups<unknown>();
  let delivery: SharedDelivery | undefined;
  const dispatch = (key: string, message: Message) => {
    if (!delivery?.deliver(key, message)) sharedMessagesUndeliverable.inc();
  };
  const on = emitter.on.bind(emitter);
  const removeListener = emitter.removeListener.bind(emitter);
  const emit = emitter.emit.bind(emitter);
  emitter.on = (filter, listener, done) => {
    if (!isSharedKey(filter)) return on(filter, listener, done);
    groups.add(filter, listener);
    done?.();
    return emitter;
  };
  emitter.removeListener = (filter, listener, done) => {
    if (!isSharedKey(filter)) return removeListener(filter, listener, done);
    groups.remove(filter, listener);
    done?.();
    return emitter;
  };
  emitter.emit = (message, callback) => {
    if (groups.size > 0) for (const key of groups.groupsFor(message.topic)) dispatch(key, message);
    return emit(message, callback);
  };
  return {
    deliverThrough: (target) => {
      delivery = target;
    },
    redispatch: dispatch,
    wants: (topic) => groups.reaches(topic),
  };
}
