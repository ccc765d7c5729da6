// The one call the publish paths (MQTT PUBLISH and the data-plane API) make for the exports: the
// accepted message with its internal topic, turned back into the Yandex topic an export filters on.
import type { Principal } from '../../contracts/principal.js';
import { toCanonical } from '../topics/namespace.js';

export interface MessageExports {
  offer(principal: Principal, topic: string, payload: Buffer): void;
}

export function exportMessage(
  exports: MessageExports | undefined,
  principal: Principal,
  internalTopic: string,
  payload: Buffer | string,
): void {
  if (!exports || principal.kind === 'broker') return;
  const topic = toCanonical(internalTopic);
  if (topic) exports.offer(principal, topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
}
