// The in-process message bus: bounded (QoS 0 dropped past the backlog limits, counted) and, in a
// cluster, what the cluster bus hands each message to for this edge's subscribers.
import { EdgeMetrics } from '../metrics.js';
import { boundedEmitter, type BoundedEmitter } from './bounded-emitter.js';

export interface LocalBusOptions {
  /** Backlog past which QoS 0 messages are dropped (default 100 000). */
  maxQueuedMessages?: number;
  /** A QoS 0 message older than this in the backlog is dropped, oldest first (default 1000 ms; 0: never). */
  maxQueuedAgeMs?: number;
}

export function localBus(options: LocalBusOptions): BoundedEmitter {
  const metrics = EdgeMetrics.get();
  const maxQueuedMessages = options.maxQueuedMessages ?? 100_000;
  return boundedEmitter({
    // QoS 1 messages being delivered at once (QoS 0 ones hold no slot: bounded-emitter.ts). aedes
    // frees a slot only on a later turn of the event loop, so this caps deliveries per turn: at
    // 1,000, an open-loop QoS 0 fan-in of 45,000 msg/s lengthened the turns until the backlog aged
    // out and 13,000 msg/s arrived (loadtest/results/overload.md). A tenth of the backlog bound, so
    // what is held stays within a tenth more than that bound allows.
    concurrency: Math.max(1000, Math.floor(maxQueuedMessages / 10)),
    maxQueuedMessages,
    maxQueuedAgeMs: options.maxQueuedAgeMs ?? 1000,
    onDrop: (reason) => metrics.dropped.inc({ reason }),
  });
}
