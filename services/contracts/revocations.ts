// The revocation feed: changes that invalidate live MQTT sessions or cached access decisions. The
// registry writes it; every edge (and every registry replica's own caches) follows it. Shared by the
// registry and the edge, so it lives here rather than in either service.

export type RevocationKind =
  | 'DEVICE_DELETED'
  | 'REGISTRY_DELETED'
  | 'REGISTRY_DISABLED'
  | 'BROKER_DELETED'
  | 'PASSWORD_DELETED'
  | 'CERTIFICATE_DELETED'
  | 'DEVICE_ALIASES_CHANGED';

export interface Revocation {
  kind: RevocationKind;
  /** The device, registry or broker concerned. */
  entity_id: string;
  /** The registry of a device (or the registry itself); empty for brokers. */
  registry_id: string;
  /** Password id or certificate fingerprint, for credential revocations. */
  credential_id: string;
}

/**
 * A position in the feed. `seq` numbers revocations 1, 2, 3 … without holes; `epoch` names the
 * feed's store and changes when that store is reset (e.g. Redis lost its data), so a follower can
 * tell "nothing new" from "the numbers started over".
 */
export interface FeedCursor {
  epoch: string;
  seq: number;
}

export interface RevocationHandler {
  revocation(revocation: Revocation, cursor: FeedCursor): void;
  /**
   * Revocations after the follower's position may have been lost (trimmed from the feed, or the
   * feed's store was reset): whatever the follower cached or allowed must be checked again.
   */
  gap(reason: string): void;
  /** Following live: everything up to `head` has been delivered. */
  ready(head: FeedCursor): void;
  /** No longer live (connection lost); the source resumes by itself from where it was. */
  lost(): void;
}

export interface RevocationSource {
  /**
   * Delivers every revocation after `after` (from now on when undefined), in order, then live ones.
   * Returns a function that stops following.
   */
  follow(after: FeedCursor | undefined, handler: RevocationHandler): () => void;
}

/** Whether `next` is the revocation right after `cursor` (a cursor at 0 accepts any epoch's first). */
export function followsDirectly(cursor: FeedCursor, next: FeedCursor): boolean {
  return next.seq === cursor.seq + 1 && (next.epoch === cursor.epoch || cursor.seq === 0);
}
