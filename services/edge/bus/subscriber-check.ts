// Whether a message on a topic could reach any subscriber, for messages worth making only then
// (`$monitoring`): in one process the local bus and its shared groups know; in a cluster the bus
// answers when it can tell (the route table) and otherwise the answer is yes (the channel bus).
import type { BoundedEmitter } from './bounded-emitter.js';
import type { LocalSharedRouting } from './shared-routing.js';

export function subscriberCheck(
  clusterBus: { wants?(topic: string): boolean } | undefined,
  bus: BoundedEmitter,
  localShared: LocalSharedRouting | undefined,
): (topic: string) => boolean {
  if (clusterBus) return (topic) => clusterBus.wants?.(topic) ?? true;
  return (topic) => bus.wants(topic) || (localShared?.wants(topic) ?? false);
}
