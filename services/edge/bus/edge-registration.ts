// This edge's own entry in the cluster route table (keys: route-keys.ts): its lease, renewed twice
// a second; the filters its clients hold, each registered once and waited for until every live edge
// routes it here (route-wait.ts); dropping peers whose lease ran out; and leaving at shutdown.
import type { Logger } from '../../common/logging.js';
import {
  APPLIED_KEY,
  CHANGES_KEY,
  EDGES_KEY,
  filtersKey,
  inboxKey,
  LEASE_MS,
  MAX_CHANGES,
  MAX_INBOX,
  RENEW_MS,
  type Connection,
} from './route-keys.js';
import { RouteWait } from './route-wait.js';

export class EdgeRegistration {
  /** Filters this edge's clients hold → how many; the first and last change the table. */
  readonly #held = new Map<string, number>();
  /** Route registrations under way, so a second subscriber to a filter waits for the first. */
  readonly #registering = new Map<string, Promise<void>>();
  readonly #routeWait: RouteWait;
  readonly #renewal: NodeJS.Timeout;
  #everRegistered = false;

  constructor(
    private readonly writer: Connection,
    private readonly id: string,
    private readonly logger: Logger,
    /** Messages for this edge may have been lost: a peer dropped it, or Redis lost its inbox. */
    private readonly onLoss: () => void,
  ) {
    this.#routeWait = new RouteWait(writer, id, logger);
    writer.on('ready', () => {
      this.#register().catch((error: unknown) =>
        logger.warn({ err: error }, "could not register this edge's routes; retrying at the next renewal"),
      );
    });
    this.#renewal = setInterval(() => this.#renew(), RENEW_MS);
    this.#renewal.unref();
  }

  /** Whether this edge has registered once; before that, a cluster client's topology events are its start-up. */
  get everRegistered(): boolean {
    return this.#everRegistered;
  }

  /** The filters this edge's clients hold. */
  filters(): Iterable<string> {
    return this.#held.keys();
  }

  /**
   * One more local holder of `filter`. The first adds it (`added`, for the local table, runs at
   * once) and registers it; the promise, shared by the holders that come meanwhile, resolves once
   * every live edge routes it here. Undefined when there is nothing to wait for.
   */
  hold(filter: string, added: () => void): Promise<void> | undefined {
    const count = this.#held.get(filter) ?? 0;
    this.#held.set(filter, count + 1);
    if (count > 0) return this.#registering.get(filter);
    added();
    const registration = this.#addRoute(filter).finally(() => this.#registering.delete(filter));
    this.#registering.set(filter, registration);
    return registration;
  }

  /** One local holder of `filter` less; the last removes it (`removed` runs at once) and deregisters it. */
  release(filter: string, removed: () => void): Promise<unknown> | undefined {
    const count = (this.#held.get(filter) ?? 1) - 1;
    if (count > 0) {
      this.#held.set(filter, count);
      return undefined;
    }
    this.#held.delete(filter);
    removed();
    return this.writer
      .multi()
      .srem(filtersKey(this.id), filter)
      .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'remove', 'edge', this.id, 'filter', filter)
      .exec();
  }

  /** A dropped edge's inbox, unless the edge has registered again since (and reads it). */
  async deleteInboxUnlessRegistered(edge: string): Promise<void> {
    if ((await this.writer.zscore(EDGES_KEY, edge)) === null) await this.writer.del(inboxKey(edge));
  }

  /** Stops renewing; the lease then runs out unless `leave` removes the entry first. */
  close(): void {
    clearInterval(this.#renewal);
    this.#routeWait.close();
  }

  /** Leaves the table at once instead of after the lease: peers stop sending here. */
  async leave(): Promise<void> {
    if (this.writer.status !== 'ready') return;
    await Promise.all([
      this.writer
        .multi()
        .zrem(EDGES_KEY, this.id)
        .del(filtersKey(this.id))
        .hdel(APPLIED_KEY, this.id)
        .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'drop', 'edge', this.id)
        .exec(),
      this.writer.del(inboxKey(this.id)),
    ]);
  }

  /** (Re)registers this edge and all its routes; on a reconnect, tells whether messages were lost. */
  async #register(): Promise<void> {
    const { writer, id } = this;
    // Lost: a peer dropped this edge (peers stopped routing here meanwhile), or Redis lost the inbox.
    const lost = this.#everRegistered && ((await writer.zscore(EDGES_KEY, id)) === null || (await writer.exists(inboxKey(id))) === 0);
    // The inbox exists from now on (before any peer can route here): a missing inbox later means
    // Redis lost it. It lives on its own shard, so it is not part of the transaction.
    await writer.xadd(inboxKey(id), 'MAXLEN', '~', MAX_INBOX, '*', 'hello', '1');
    // Read only now, next to the transaction that replaces the set: a route added while the inbox
    // was being created went to Redis before this transaction and would be wiped by it otherwise.
    const filters = [...this.#held.keys()];
    const transaction = writer
      .multi()
      .zadd(EDGES_KEY, Date.now() + LEASE_MS, id)
      .del(filtersKey(id));
    if (filters.length > 0) transaction.sadd(filtersKey(id), ...filters);
    transaction.xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'reset', 'edge', id);
    await transaction.exec();
    this.#everRegistered = true;
    if (lost) {
      this.logger.warn(
        "this edge's inbox was lost (Redis lost its data, or the edge was taken for dead): reconnecting persistent sessions",
      );
      this.onLoss();
    }
  }

  #renew(): void {
    const { writer, id } = this;
    // While Redis is away, renewals would only pile up in ioredis' queue.
    if (writer.status !== 'ready') return;
    void (async () => {
      const renewed = await writer.zadd(EDGES_KEY, 'XX', 'CH', Date.now() + LEASE_MS, id);
      // Dropped by a peer that took this edge for dead: register again (and report the loss).
      if (Number(renewed) === 0 && (await writer.zscore(EDGES_KEY, id)) === null) await this.#register();
      const expired = await writer.zrangebyscore(EDGES_KEY, '-inf', Date.now());
      for (const edge of expired) {
        if ((await writer.dropEdge(EDGES_KEY, filtersKey(edge), CHANGES_KEY, APPLIED_KEY, edge, Date.now(), MAX_CHANGES)) === 1) {
          await this.deleteInboxUnlessRegistered(edge);
          this.logger.warn({ edge }, 'an edge missed its lease: its routes and inbox are dropped');
        }
      }
    })().catch((error: unknown) => this.logger.debug({ err: error }, 'route lease renewal failed'));
  }

  async #addRoute(filter: string): Promise<void> {
    const [, [, change]] = (await this.writer
      .multi()
      .sadd(filtersKey(this.id), filter)
      .xadd(CHANGES_KEY, 'MAXLEN', '~', MAX_CHANGES, '*', 'op', 'add', 'edge', this.id, 'filter', filter)
      .exec()) as [unknown, [unknown, string]];
    await this.#routeWait.appliedEverywhere(change);
  }
}
