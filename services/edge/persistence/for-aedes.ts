// The edge's persistence (LevelDB or MongoDB) as aedes gets it: each persistent session's queue
// bounded (queue-limit.ts), aedes' needless or failing outgoing-message calls answered
// (outgoing-messages.ts), and a failed read of permanent-topic values kept from ending the
// process (retained-read-guard.ts).
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';
import type { Logger } from '../../common/logging.js';
import type { EdgeMetrics } from '../metrics.js';
import { withOutgoingShortcuts } from './outgoing-messages.js';
import { withQueueLimit, type QueuedCounter } from './queue-limit.js';
import { withRetainedReadGuard } from './retained-read-guard.js';
import type { SessionLedger } from './session-ledger.js';

/** Bounds on persistent sessions, with the persistence's own counters. */
export interface SessionLimits {
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  expirySeconds: number;
  queued: QueuedCounter;
  ledger: SessionLedger;
}

export function persistenceForAedes(
  persistence: unknown,
  limits: SessionLimits | undefined,
  metrics: EdgeMetrics,
  logger: Logger,
): unknown {
  return withRetainedReadGuard(withOutgoingShortcuts(boundQueues(persistence, limits, metrics, logger)), (error) =>
    logger.warn({ err: error }, 'reading permanent-topic values for a subscription failed; they are not sent'),
  );
}

/** The persistence with its per-session queue bounded (a drop is counted, and logged once a minute per session). */
function boundQueues(persistence: unknown, limits: SessionLimits | undefined, metrics: EdgeMetrics, logger: Logger): unknown {
  if (!limits || (limits.maxQueuedMessages === 0 && limits.maxQueuedBytes === 0)) return persistence;
  const logged = new LRUCache<string, true>({ ...lazyCapacity(10_000), ttl: 60_000 });
  const bounds = {
    maxMessages: limits.maxQueuedMessages || Number.POSITIVE_INFINITY,
    maxBytes: limits.maxQueuedBytes || Number.POSITIVE_INFINITY,
  };
  return withQueueLimit(persistence, bounds, limits.queued, (clientId) => {
    metrics.dropped.inc({ reason: 'queue_full' });
    metrics.limitHits.inc({ limit: 'queue' });
    if (logged.has(clientId)) return;
    logged.set(clientId, true);
    logger.warn(
      { event: 'limit', limit: 'queue', clientId, maxMessages: limits.maxQueuedMessages, maxBytes: limits.maxQueuedBytes },
      'persistent session queue full: new messages are not queued for it',
    );
  });
}
