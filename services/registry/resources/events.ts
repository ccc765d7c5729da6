// The registry's side of the revocation feed. Every change that must end live MQTT sessions or
// cached access decisions is revoked here; followers (this process's edge or authenticator cache,
// and edges watching this replica over gRPC) read `log`.
//  - All-in-one: the log is the feed.
//  - Cluster: the revocation goes to the shared Redis feed (so edges watching another replica get
//    it too), and `log` mirrors that feed, so each replica serves every replica's revocations.
import type { Logger } from '../../common/logging.js';
import { RevocationLog } from '../../common/revocations/revocation-log.js';
import type { FeedCursor, Revocation, RevocationHandler, RevocationSource } from '../../contracts/revocations.js';

export type { Revocation, RevocationKind } from '../../contracts/revocations.js';

/** The shared feed of a cluster (services/common/revocations/redis-feed.ts). */
export interface SharedRevocationFeed extends RevocationSource {
  publish(revocation: Revocation): Promise<FeedCursor>;
}

const MAX_RETRY_MS = 5000;

export class RegistryEvents implements RevocationSource {
  readonly log: RevocationLog;
  readonly #shared: SharedRevocationFeed | undefined;
  readonly #logger: Logger | undefined;
  #published: Promise<void> = Promise.resolve();
  #stopMirror: (() => void) | undefined;

  constructor(options: { shared?: SharedRevocationFeed; logger?: Logger } = {}) {
    this.#shared = options.shared;
    this.#logger = options.logger;
    this.log = new RevocationLog({ live: !this.#shared });
    this.#stopMirror = this.#shared?.follow(undefined, mirrorInto(this.log));
  }

  /**
   * Never fails the API call that caused it: the change is already stored. Revocations reach the
   * shared feed in the order they were made, each retried until Redis takes it.
   */
  revoke(revocation: Revocation): void {
    const shared = this.#shared;
    if (!shared) {
      this.log.append(revocation);
      return;
    }
    this.#published = this.#published.then(() => publishUntilTaken(shared, revocation, this.#logger));
  }

  follow(after: FeedCursor | undefined, handler: RevocationHandler): () => void {
    return this.log.follow(after, handler);
  }

  close(): void {
    this.#stopMirror?.();
  }
}

function mirrorInto(log: RevocationLog): RevocationHandler {
  return {
    revocation: (revocation, cursor) => log.mirror(revocation, cursor),
    gap: (reason) => log.mirrorGap(reason),
    ready: (head) => log.mirrorReady(head),
    lost: () => log.mirrorLost(),
  };
}

async function publishUntilTaken(shared: SharedRevocationFeed, revocation: Revocation, logger: Logger | undefined): Promise<void> {
  for (let delay = 100; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
    try {
      await shared.publish(revocation);
      return;
    } catch (error) {
      logger?.error(
        { err: error, kind: revocation.kind, id: revocation.entity_id },
        'could not publish a revocation to the shared feed; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
