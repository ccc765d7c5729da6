// This edge's replica of the cluster route table (route-table.ts), kept current from Redis: built
// from the snapshot (every edge's filter set), then advanced by the change feed, read with XREAD
// BLOCK from the last change applied. After each change read it reports how far it got (the
// applied hash a SUBSCRIBE waits on: route-wait.ts). Any loss of the feed connection makes it not
// current until it is rebuilt from the snapshot, since changes may have been trimmed meanwhile;
// while it is not current the bus sends every message to every edge (routed-bus.ts).
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../common/logging.js';
import { RouteTable, type RouteChange } from './route-table.js';
import { APPLIED_KEY, BLOCK_MS, CHANGES_KEY, EDGES_KEY, filtersKey, RETRY_MS, type Connection } from './route-keys.js';

const routeEntries = new Gauge({
  name: 'iotcore_route_table_entries',
  help: "(edge, filter) entries in this edge's replica of the cluster route table, its own included",
});
const rebuilds = new Counter({
  name: 'iotcore_route_table_rebuilds_total',
  help: 'replica rebuilds from the snapshot (start, and after each loss of the change feed)',
});

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

export class RouteReplica {
  readonly table = new RouteTable();
  #current = false;
  #lastChange = '0-0';
  #closed = false;

  constructor(
    /** A connection of its own: reads block. */
    private readonly feed: Connection,
    private readonly id: string,
    /**
     * This edge's own routes (its clients' filters and shared group keys), kept in the table by the
     * edge itself, never from the feed: whether a message has a subscriber here is then a lookup.
     */
    private readonly ownRoutes: () => Iterable<string>,
    /** A peer was dropped from the cluster (its lease ran out, or it left). */
    private readonly onDropped: (edge: string) => void,
    private readonly logger: Logger,
  ) {
    feed.on('close', () => {
      this.#current = false;
    });
    void this.#follow();
  }

  /** Whether the replica reflects the feed (false: being rebuilt, or the feed is lost). */
  get current(): boolean {
    return this.#current;
  }

  close(): void {
    this.#closed = true;
  }

  async #rebuild(): Promise<void> {
    this.#current = false;
    const feed = this.feed;
    const [head] = (await feed.xrevrange(CHANGES_KEY, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    // Every registered edge, its lease current or not: one whose lease ran out stays until a peer
    // drops it (a change this replica then applies), and may renew it first, which no change tells.
    const edges = (await feed.zrange(EDGES_KEY, '0', '-1')).filter((edge) => edge !== this.id);
    const sets = await Promise.all(edges.map((edge) => feed.smembers(filtersKey(edge))));
    this.table.clear();
    edges.forEach((edge, index) => this.table.replaceEdge(edge, sets[index]!));
    for (const filter of this.ownRoutes()) this.table.add(this.id, filter);
    this.#lastChange = head?.[0] ?? '0-0';
    rebuilds.inc();
    routeEntries.set(this.table.size);
  }

  async #apply(change: RouteChange): Promise<void> {
    if (change.edge === this.id) return;
    if (change.op === 'add') this.table.add(change.edge, change.filter);
    else if (change.op === 'remove') this.table.remove(change.edge, change.filter);
    else if (change.op === 'drop') {
      this.table.dropEdge(change.edge);
      this.onDropped(change.edge);
    } else this.table.replaceEdge(change.edge, await this.feed.smembers(filtersKey(change.edge)));
  }

  async #follow(): Promise<void> {
    const feed = this.feed;
    let rebuilt = false;
    while (!this.#closed) {
      try {
        if (!rebuilt) {
          await this.#rebuild();
          rebuilt = true;
          await feed.hset(APPLIED_KEY, this.id, this.#lastChange);
          this.#current = feed.status === 'ready';
        }
        const reply = (await feed.xread('COUNT', 1000, 'BLOCK', BLOCK_MS, 'STREAMS', CHANGES_KEY, this.#lastChange)) as StreamReply;
        if (this.#closed) return;
        // A connection lost meanwhile may have missed changes that were trimmed: rebuild.
        if (!this.#current) {
          rebuilt = false;
          continue;
        }
        if (!reply) continue;
        for (const [changeId, fields] of reply[0]![1]) {
          await this.#apply(changeOf(fields));
          this.#lastChange = changeId;
        }
        routeEntries.set(this.table.size);
        await feed.hset(APPLIED_KEY, this.id, this.#lastChange);
      } catch (error) {
        if (this.#closed) return;
        rebuilt = false;
        this.logger.warn({ err: error }, 'route feed: read failed; rebuilding the replica');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}

function changeOf(fields: string[]): RouteChange {
  const field = (name: string) => {
    for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index] === name) return fields[index + 1]!;
    return '';
  };
  const op = field('op');
  const edge = field('edge');
  if (op === 'add' || op === 'remove') return { op, edge, filter: field('filter') };
  return { op: op === 'drop' ? 'drop' : 'reset', edge };
}
