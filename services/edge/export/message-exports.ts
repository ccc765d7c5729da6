// The one call the publish paths (MQTT PUBLISH and the data-plane API) make for what takes copies
// of accepted messages — the data stream exports and the triggers — with the topic they filter on
// (the Yandex topic, or the broker's own), which the publish decision carries.
import type { Principal } from '../../contracts/principal.js';

export interface MessageExports {
  offer(principal: Principal, topic: string, payload: Buffer): void;
}

export function exportMessage(exports: MessageExports | undefined, principal: Principal, topic: string, payload: Buffer | string): void {
  exports?.offer(principal, topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
}

/** Every consumer of copies in one: each gets every message (each filters for itself). */
export function allExports(consumers: Array<MessageExports | undefined>): MessageExports | undefined {
  const present = consumers.filter((consumer) => consumer !== undefined);
  if (present.length <= 1) return present[0];
  return { offer: (principal, topic, payload) => present.forEach((consumer) => consumer.offer(principal, topic, payload)) };
}
