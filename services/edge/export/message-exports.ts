// The one call the publish paths (MQTT PUBLISH and the data-plane API) make for what takes copies
// of accepted messages — the data stream exports and the triggers: the message with its internal
// topic, turned back into the Yandex topic (or the broker's own topic) they filter on.
import type { Principal } from '../../contracts/principal.js';
import { BROKER_ROOT, toCanonical } from '../topics/namespace.js';

export interface MessageExports {
  offer(principal: Principal, topic: string, payload: Buffer): void;
}

export function exportMessage(
  exports: MessageExports | undefined,
  principal: Principal,
  internalTopic: string,
  payload: Buffer | string,
): void {
  if (!exports) return;
  const topic = principal.kind === 'broker' ? brokerTopic(internalTopic, principal.id) : toCanonical(internalTopic);
  if (topic) exports.offer(principal, topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
}

/** Every consumer of copies in one: each gets every message (each filters for itself). */
export function allExports(consumers: Array<MessageExports | undefined>): MessageExports | undefined {
  const present = consumers.filter((consumer) => consumer !== undefined);
  if (present.length <= 1) return present[0];
  return { offer: (principal, topic, payload) => present.forEach((consumer) => consumer.offer(principal, topic, payload)) };
}

function brokerTopic(internalTopic: string, brokerId: string): string | undefined {
  const prefix = `${BROKER_ROOT}/${brokerId}/`;
  return internalTopic.startsWith(prefix) ? internalTopic.slice(prefix.length) : undefined;
}
