// This edge's lease on the persistent sessions its connections hold (persistence/session-ledger.ts).
// While it renews, other edges leave those sessions alone; once it stops (the process died), they
// count them offline and expire them after --session-expiry-seconds. An edge that was only cut off
// from its store for longer than its lease finds so at its next renewal and holds its connected
// sessions again, before any of them can expire. The expiry itself is session-expiry.ts.
import type { Aedes } from 'aedes';
import type { Logger } from '../common/logging.js';
import type { SessionLimits } from './persistence/for-aedes.js';
import type { SessionLedger } from './persistence/session-ledger.js';
import { aedesInternals } from './aedes/internals.js';
import type { SessionTable } from './session.js';
import { expireSessions } from './session-expiry.js';

/**
 * What an edge keeps doing for the persistent sessions of its store: its lease on those it holds,
 * and their expiry when --session-expiry-seconds is set. Started before the first CONNECT; the
 * returned function stops both.
 */
export async function maintainSessions(options: {
  broker: Aedes;
  sessions: SessionTable;
  persistence: unknown;
  limits: SessionLimits;
  logger: Logger;
  onExpired(): void;
}): Promise<() => void> {
  const { broker, limits, logger } = options;
  const stopHolding = await holdSessions({
    broker,
    sessions: options.sessions,
    ledger: limits.ledger,
    leaseMs: sessionLeaseMs(limits.expirySeconds),
    logger,
  });
  const stopExpiring =
    limits.expirySeconds > 0
      ? expireSessions({
          broker,
          persistence: options.persistence,
          ledger: limits.ledger,
          expiryMs: limits.expirySeconds * 1000,
          logger,
          onExpired: options.onExpired,
        })
      : undefined;
  return () => {
    stopExpiring?.();
    stopHolding();
  };
}

/**
 * How long a lease lasts: as long as the session expiry, within 3 s and 60 s. A dead edge's
 * sessions are then offline at most a lease later than a disconnect would have made them, and a
 * renewal (every quarter of it) rides out a few slow or failed writes.
 */
function sessionLeaseMs(expirySeconds: number): number {
  return expirySeconds > 0 ? Math.min(60_000, Math.max(3000, expirySeconds * 1000)) : 60_000;
}

/** Takes the lease (before this edge records any session held) and renews it until the returned stop is called. */
async function holdSessions(options: {
  broker: Aedes;
  sessions: SessionTable;
  ledger: SessionLedger;
  leaseMs: number;
  logger: Logger;
}): Promise<() => void> {
  const { broker, sessions, ledger, leaseMs, logger } = options;
  await ledger.renew(leaseMs);
  let renewing = false;
  // Kept until every connected session is held again, also across a failed renewal.
  let lapsed = false;
  const renew = async () => {
    if (renewing) return;
    renewing = true;
    try {
      if (await ledger.renew(leaseMs)) lapsed = true;
      if (!lapsed) return;
      const connected = aedesInternals
        .clients(broker)
        .filter((client) => !aedesInternals.isClean(client))
        .flatMap((client) => sessions.of(client) ?? []);
      logger.warn(
        { event: 'session_lease_lapsed', sessions: connected.length },
        "this edge's lease on its persistent sessions ran out (its store out of reach?): holding its connected sessions again",
      );
      for (const session of connected) await ledger.reclaim(session.client.id, session.serial);
      lapsed = false;
    } catch (error) {
      logger.warn({ err: error }, "could not renew this edge's lease on its persistent sessions; retrying");
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renew(), leaseMs / 4);
  timer.unref();
  return () => clearInterval(timer);
}
