// "Every live edge has applied this route change": what a SUBSCRIBE's callback (and so its SUBACK)
// waits for on the route bus. Live = lease renewed in the last 1.5 s. Bounded: a peer that does not
// answer in 3 s is not following the feed, and such a peer broadcasts (routed-bus.ts). A peer that
// holds the wait up for 100 ms with no route-feed connection open in Redis (CLIENT LIST) is not
// waited for either: it is dead, or its replica is not current and it broadcasts. That keeps an
// edge killed a moment ago from holding up the SUBSCRIBEs of the sessions resuming elsewhere until
// its lease renewals look stale. All waits share one poll of the applied-changes hash.
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logging.js';
import { APPLIED_KEY, compareIds, EDGES_KEY, FEED_CONNECTION, LEASE_MS } from './route-keys.js';

/** A SUBSCRIBE waits for the edges that renewed their lease this recently (a dead one is not waited for). */
const FOLLOWING_MS = 1500;
/** How long a SUBSCRIBE waits for every live edge to have applied its route. */
const ROUTE_WAIT_MS = 3000;
/** After this much of a wait, peers without a route-feed connection in Redis are not waited for. */
const FEED_CHECK_MS = 100;
const ROUTE_POLL_MS = 5;

interface Waiter {
  change: string;
  since: number;
  deadline: number;
  resolve: () => void;
}

export class RouteWait {
  readonly #waiters: Waiter[] = [];
  #polling = false;
  #closed = false;
  #following: { at: number; edges: Set<string> | undefined } = { at: 0, edges: undefined };

  constructor(
    private readonly redis: Redis,
    /** This edge, which never waits for itself. */
    private readonly id: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once every live peer has applied `change` (a change-feed ID), or after 3 s. */
  appliedEverywhere(change: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push({ change, since: Date.now(), deadline: Date.now() + ROUTE_WAIT_MS, resolve });
      if (!this.#polling) void this.#poll();
    });
  }

  /** Releases every wait (the bus is closing). */
  close(): void {
    this.#closed = true;
    this.#waiters.splice(0).forEach((waiter) => waiter.resolve());
  }

  /** The peers to wait for: lease renewed lately, and (once a wait is long) a feed connection open. */
  async #peersToWaitFor(): Promise<string[]> {
    const peers = (await this.redis.zrangebyscore(EDGES_KEY, Date.now() + LEASE_MS - FOLLOWING_MS, '+inf')).filter(
      (edge) => edge !== this.id,
    );
    if (peers.length === 0 || !this.#waiters.some((waiter) => Date.now() - waiter.since >= FEED_CHECK_MS)) return peers;
    if (Date.now() - this.#following.at >= FEED_CHECK_MS)
      this.#following = { at: Date.now(), edges: await edgesFollowingTheFeed(this.redis) };
    const edges = this.#following.edges;
    return edges ? peers.filter((peer) => edges.has(peer)) : peers;
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    const waiters = this.#waiters;
    while (waiters.length > 0 && !this.#closed) {
      try {
        const peers = await this.#peersToWaitFor();
        const applied = peers.length > 0 ? await this.redis.hmget(APPLIED_KEY, ...peers) : [];
        // The change the slowest peer has applied; a peer that has not reported yet holds everyone.
        const slowest = applied.includes(null)
          ? undefined
          : (applied as string[]).reduce((min, value) => (compareIds(value, min) < 0 ? value : min), 'max');
        const now = Date.now();
        for (let index = waiters.length - 1; index >= 0; index--) {
          const waiter = waiters[index]!;
          const done = slowest !== undefined && compareIds(slowest, waiter.change) >= 0;
          if (!done && now < waiter.deadline) continue;
          if (!done)
            this.logger.warn(
              { change: waiter.change },
              'an edge did not apply a new route within 3 s; it is not following the route feed and broadcasts meanwhile',
            );
          waiters.splice(index, 1);
          waiter.resolve();
        }
      } catch (error) {
        this.logger.debug({ err: error }, 'route wait poll failed');
      }
      if (waiters.length > 0) await new Promise((resolve) => setTimeout(resolve, ROUTE_POLL_MS));
    }
    this.#polling = false;
  }
}

/**
 * The edges with a route-feed connection open on any Redis master, from CLIENT LIST; undefined when
 * Redis will not say (a managed Redis may refuse CLIENT), and then every peer is waited for.
 */
async function edgesFollowingTheFeed(redis: Redis): Promise<Set<string> | undefined> {
  const cluster = redis as unknown as { nodes?: (role: 'master') => Redis[] };
  const nodes = typeof cluster.nodes === 'function' ? cluster.nodes('master') : [redis];
  try {
    const lists = await Promise.all(nodes.map((node) => node.client('LIST') as Promise<string>));
    const name = new RegExp(`\\bname=iotcore:${FEED_CONNECTION}(\\S+)`, 'g');
    return new Set(lists.flatMap((list) => [...list.matchAll(name)].map((match) => match[1]!)));
  } catch {
    return undefined;
  }
}
