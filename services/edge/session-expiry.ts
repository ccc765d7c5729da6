// Persistent sessions that never come back are removed after --session-expiry-seconds: their
// subscriptions (through the persistence, so every edge's view follows) and their queued messages,
// so one abandoned session cannot grow the database forever. A session counts as offline from its
// disconnect, or from when its edge was found to have died holding it (session-holding.ts); moving
// to another edge (takeover) is not going offline.
import type { Aedes } from 'aedes';
import type { Logger } from '../common/logging.js';
import type { SessionLedger } from './persistence/session-ledger.js';
import { aedesInternals } from './aedes/internals.js';

interface SubscriptionCleaner {
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
}

/** Sessions removed per sweep; the next sweep takes the rest. */
const BATCH = 500;
/** How long a claim keeps other edges off a session being removed (far longer than a removal takes). */
const CLAIM_HOLD_MS = 60_000;

export function expireSessions(options: {
  broker: Aedes;
  persistence: unknown;
  ledger: SessionLedger;
  expiryMs: number;
  logger: Logger;
  onExpired(): void;
}): () => void {
  const { broker, ledger, expiryMs, logger } = options;
  const cleaner = options.persistence as SubscriptionCleaner;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      // Sessions of an edge that died holding them count as offline from now.
      const released = await ledger.releaseLapsed(new Date(), BATCH);
      if (released > 0)
        logger.info({ event: 'sessions_released', count: released }, 'persistent sessions of a stopped edge recorded offline');
      const before = new Date(Date.now() - expiryMs);
      for (const clientId of await ledger.offlineSince(before, BATCH)) {
        // Back on this edge meanwhile: its connect cleared the entry, or will.
        if (aedesInternals.clientById(broker, clientId)) continue;
        if (!(await ledger.claim(clientId, before, CLAIM_HOLD_MS))) continue;
        await cleaner.cleanSubscriptions({ id: clientId });
        await ledger.purge(clientId);
        options.onExpired();
        logger.info({ event: 'session_expired', clientId }, 'persistent session expired: subscriptions and queued messages removed');
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not expire persistent sessions; retrying at the next sweep');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), Math.max(250, Math.min(expiryMs / 4, 60_000)));
  timer.unref();
  return () => clearInterval(timer);
}
