// Connection logs of the all-in-one process in their own LevelDB (apart from the registry's, which is loaded
// whole into memory at start). Keys make every read a range scan in time order:
//   s:<r|b>/<registry or broker id>:<time>:<uid>  the registry's or broker's log
//   d:<device id>:<time>:<uid>                    the device's own entries
//   t:<time>:<uid>                                every entry, oldest first, for retention
//   m:count                                       how many entries there are, for retention
// Each entry key holds the entry itself, so a read is one scan and retention needs no second lookup.
// The count is written in the same batch as the entries it counts, so opening the store reads one
// key instead of counting every entry (2 s at the default cap of 1,000,000).
import { ClassicLevel } from 'classic-level';
import pLimit from 'p-limit';
import type { ConnectionLogEntry } from '../../contracts/connection-logs.js';
import { isAfter, matchesFilters, type ConnectionLogStore, type LogQuery, type LogRetention, type LogSource } from './log-store.js';

// Milliseconds since 1970, fixed width so that keys sort by time until the year 5138.
const time = (date: Date) => String(date.getTime()).padStart(14, '0');
// `;` follows `:`, so `prefix:` … `prefix;` is exactly the keys under a prefix.
const END = ';';
const PRUNE_CHUNK = 1000;
const COUNT_KEY = 'm:count';

type Stored = Omit<ConnectionLogEntry, 'timestamp'> & { timestamp: number };

export async function openEmbeddedLogStore(dir: string): Promise<ConnectionLogStore> {
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
  await db.open();
  const stored = Number(await db.get(COUNT_KEY));
  if (Number.isSafeInteger(stored) && stored >= 0) return new EmbeddedLogStore(db, stored);
  // Written before the count was kept (or the count unreadable): counted once, and kept from now on.
  let count = 0;
  for await (const _ of db.keys({ gt: 't:', lt: `t${END}` })) count++;
  await db.put(COUNT_KEY, String(count));
  return new EmbeddedLogStore(db, count);
}

function sourcePrefix(source: LogSource): string {
  if ('device_id' in source) return `d:${source.device_id}`;
  if ('registry_id' in source) return `s:r/${source.registry_id}`;
  return `s:b/${source.broker_id}`;
}

function keysOf(entry: Stored): string[] {
  const at = `${String(entry.timestamp).padStart(14, '0')}:${entry.uid}`;
  const keys = [`t:${at}`, `${sourcePrefix(entry.broker_id ? { broker_id: entry.broker_id } : { registry_id: entry.registry_id })}:${at}`];
  if (entry.device_id) keys.push(`d:${entry.device_id}:${at}`);
  return keys;
}

class EmbeddedLogStore implements ConnectionLogStore {
  /** Writes one at a time, so each batch's count follows the one before. */
  readonly #oneAtATime = pLimit(1);

  constructor(
    private readonly db: ClassicLevel<string, string>,
    private count: number,
  ) {}

  append(entries: ConnectionLogEntry[]): Promise<void> {
    return this.#oneAtATime(async () => {
      const stored = entries.map((entry): Stored => ({ ...entry, timestamp: entry.timestamp.getTime() }));
      const keys = stored.map(keysOf);
      // The same uid again (an edge retrying a batch) is not counted twice.
      const existing = await this.db.getMany(keys.map((entryKeys) => entryKeys[0]!));
      const batch = this.db.batch();
      stored.forEach((entry, index) => {
        const value = JSON.stringify(entry);
        for (const key of keys[index]!) batch.put(key, value);
      });
      const count = this.count + existing.filter((value) => value === undefined).length;
      batch.put(COUNT_KEY, String(count));
      await batch.write();
      this.count = count;
    });
  }

  async read(query: LogQuery): Promise<ConnectionLogEntry[]> {
    const prefix = sourcePrefix(query.source);
    const from = query.after && (!query.since || query.after.timestamp >= query.since) ? query.after.timestamp : query.since;
    const entries: ConnectionLogEntry[] = [];
    for await (const value of this.db.values({
      gte: from ? `${prefix}:${time(from)}` : `${prefix}:`,
      lt: query.until ? `${prefix}:${time(query.until)}` : `${prefix}${END}`,
    })) {
      const stored = JSON.parse(value) as Stored;
      const entry = { ...stored, timestamp: new Date(stored.timestamp) };
      if (!isAfter(entry, query.after) || !matchesFilters(entry, query)) continue;
      entries.push(entry);
      if (entries.length >= query.limit) break;
    }
    return entries;
  }

  async prune(retention: LogRetention, now: Date): Promise<number> {
    const cutoff = time(new Date(now.getTime() - retention.maxAgeMs));
    let removed = 0;
    // In chunks, oldest first: a first prune after a long stop must not hold everything in one batch.
    for (;;) {
      const chunk = await this.#oneAtATime(async () => {
        const excess = Math.max(0, this.count - retention.maxEntries);
        const batch = this.db.batch();
        let pruned = 0;
        for await (const [key, value] of this.db.iterator({ gt: 't:', lt: `t${END}`, limit: PRUNE_CHUNK })) {
          if (pruned >= excess && key.slice(2) >= cutoff) break;
          for (const stale of keysOf(JSON.parse(value) as Stored)) batch.del(stale);
          pruned++;
        }
        if (pruned === 0) {
          await batch.close();
          return 0;
        }
        batch.put(COUNT_KEY, String(this.count - pruned));
        await batch.write();
        this.count -= pruned;
        return pruned;
      });
      removed += chunk;
      if (chunk < PRUNE_CHUNK) return removed;
    }
  }

  async close(): Promise<void> {
    await this.#oneAtATime(() => this.db.close());
  }
}
