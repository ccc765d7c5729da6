// Keeps live sessions within what the registry allows now. Follows the revocation feed and closes
// the sessions a revocation names; when the feed says revocations may have been missed (a gap), it
// asks the registry about every live session, in batches, and closes those no longer allowed as
// they were authenticated. Cached answers are dropped on every revocation that can change them.
import type { Logger } from '../common/logging.js';
import type { Revocation, RevocationSource } from '../contracts/revocations.js';
import type { AuthOutcome, Principal } from '../contracts/principal.js';
import type { RegistryLink } from '../contracts/registry-link.js';

/** A live session: the principal (with the credential it proved) fixed at CONNECT. */
export interface EnforcedSession {
  principal: Principal;
}

export interface RevocationEnforcerOptions<Session extends EnforcedSession> {
  source: RevocationSource;
  link: Pick<RegistryLink, 'checkSessions'>;
  logger: Logger;
  sessions(): Session[];
  /** Ends a session the registry no longer allows. */
  revoke(session: Session, reason: string): void;
  /** Drops cached answers a revocation may change (everything when `revocation` is undefined). */
  invalidate(revocation: Revocation | undefined): void;
  /** A recheck of every session started (metrics). */
  onRecheck(): void;
}

const RECHECK_BATCH = 500;
const RECHECK_RETRY_MS = 2000;

export class RevocationEnforcer<Session extends EnforcedSession> {
  readonly #options: RevocationEnforcerOptions<Session>;
  readonly #stop: () => void;
  #live = false;
  #lostAt = Date.now();
  #recheck: Promise<void> | undefined;
  #recheckAgain = false;
  #closed = false;

  constructor(options: RevocationEnforcerOptions<Session>) {
    this.#options = options;
    this.#stop = options.source.follow(undefined, {
      revocation: (revocation) => this.#apply(revocation),
      gap: (reason) => {
        options.logger.warn({ reason }, 'revocations may have been missed; rechecking every live session');
        this.#startRecheck();
      },
      ready: () => {
        this.#live = true;
      },
      lost: () => {
        this.#live = false;
        this.#lostAt = Date.now();
      },
    });
  }

  /** Whether the feed is followed live (readiness: degraded when not). */
  live(): boolean {
    return this.#live;
  }

  /** Seconds since the feed was last followed live; 0 while it is. */
  lagSeconds(): number {
    return this.#live ? 0 : (Date.now() - this.#lostAt) / 1000;
  }

  /** Resolves when no recheck is running (tests). */
  async settled(): Promise<void> {
    while (this.#recheck) await this.#recheck;
  }

  close(): void {
    this.#closed = true;
    this.#stop();
  }

  #apply(revocation: Revocation): void {
    this.#options.invalidate(revocation);
    for (const session of this.#options.sessions()) {
      if (isRevoked(session, revocation)) this.#options.revoke(session, revocation.kind);
    }
  }

  #startRecheck(): void {
    this.#options.invalidate(undefined);
    if (this.#recheck) {
      this.#recheckAgain = true;
      return;
    }
    this.#options.onRecheck();
    this.#recheck = this.#recheckAll().finally(() => {
      this.#recheck = undefined;
      if (this.#recheckAgain && !this.#closed) {
        this.#recheckAgain = false;
        this.#startRecheck();
      }
    });
  }

  async #recheckAll(): Promise<void> {
    const sessions = this.#options.sessions();
    for (let start = 0; start < sessions.length && !this.#closed; ) {
      const batch = sessions.slice(start, start + RECHECK_BATCH);
      try {
        const outcomes = await this.#options.link.checkSessions(
          batch.map(({ principal }) => ({ kind: principal.kind, id: principal.id, credential_id: principal.credential_id })),
        );
        batch.forEach((session, index) => {
          const reason = recheckVerdict(session, outcomes[index]);
          if (reason) this.#options.revoke(session, reason);
        });
        start += RECHECK_BATCH;
      } catch (error) {
        // Until the registry answers, sessions stay as they are (as during any registry outage).
        this.#options.logger.warn({ err: error }, 'could not recheck sessions with the registry; retrying');
        await new Promise((resolve) => setTimeout(resolve, RECHECK_RETRY_MS).unref());
      }
    }
  }
}

/** Why a rechecked session must end, or undefined when it is still allowed as it was. */
export function recheckVerdict(session: EnforcedSession, outcome: AuthOutcome | undefined): string | undefined {
  if (!outcome) return 'not rechecked';
  if (outcome.result !== 'OK') return outcome.reason;
  return aliasesOf(session.principal) === aliasesOf(outcome.principal) ? undefined : 'aliases changed';
}

/** The aliases a session's topic policy was built with, in a comparable form. */
function aliasesOf(principal: Principal): string {
  const device = Object.entries(principal.topic_aliases).map(([alias, prefix]) => `${alias}\0${prefix}`);
  const registry = principal.registry_aliases.map((entry) => `${entry.device_id}\0${entry.alias}\0${entry.topic_prefix}`);
  return JSON.stringify([device.sort(), registry.sort()]);
}

export function isRevoked(session: EnforcedSession, revocation: Revocation): boolean {
  const principal = session.principal;
  switch (revocation.kind) {
    case 'DEVICE_DELETED':
    case 'BROKER_DELETED':
      return principal.id === revocation.entity_id;
    case 'REGISTRY_DELETED':
    case 'REGISTRY_DISABLED':
      return principal.kind !== 'broker' && principal.registry_id === revocation.entity_id;
    case 'PASSWORD_DELETED':
    case 'CERTIFICATE_DELETED':
      return principal.id === revocation.entity_id && principal.credential_id === revocation.credential_id;
    case 'DEVICE_ALIASES_CHANGED':
      // Aliases are part of the policy fixed at CONNECT: reconnecting picks up the new ones.
      return principal.id === revocation.entity_id || (principal.kind === 'registry' && principal.registry_id === revocation.registry_id);
    default:
      return false;
  }
}
