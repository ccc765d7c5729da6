// Which topics have a permanent-topic value (a retained message) in the embedded store, kept in
// memory. aedes asks the store for the values a SUBSCRIBE's filters match, and
// aedes-persistence-level answers by reading every stored value once per filter: an iterator per
// SUBSCRIBE even when nothing is stored (0.28 ms), and a full read of all values when a fleet keeps
// one per device (31 ms per SUBSCRIBE with 5,000 stored: `npm run bench:database -- --only retained`).
// Now the filters are matched against the topics in memory, and only the values they match are
// read, in one `getMany` (6 µs when none matches).
// One process owns the LevelDB database, so the index starts from the keys on disk and follows
// every write. It is updated when a write is asked for, so a SUBSCRIBE sees the newest value asked
// for: a value being written is read once stored (and skipped if not yet), one being removed is
// no longer sent.
import { Readable } from 'node:stream';
import type { ClassicLevel } from 'classic-level';
import msgpack from 'msgpack-lite';
import { TopicSet } from './topic-set.js';

/** aedes-persistence-level keeps each value under "retained:<topic>", msgpack-encoded. */
const PREFIX = 'retained:';
const RETAINED_KEYS = { gte: PREFIX, lt: 'retained;' };

interface RetainedValues {
  storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  createRetainedStream(pattern: string): Readable;
}

/**
 * The persistence answering SUBSCRIBEs from the index, and how many topics have a value. A filter
 * reads at most `perFilter` values (its first matching topics in order): more would not be sent.
 */
export async function withRetainedIndex<P>(
  persistence: P,
  db: ClassicLevel<string, Buffer>,
  perFilter: number,
): Promise<{ persistence: P; permanentTopics: () => number }> {
  const topics = new TopicSet();
  for await (const key of db.keys(RETAINED_KEYS)) topics.add(key.slice(PREFIX.length));
  const store = persistence as unknown as RetainedValues;
  const write = store.storeRetained.bind(store);
  store.storeRetained = async (packet) => {
    const removal = packet.payload.length === 0;
    if (removal) topics.delete(packet.topic);
    else topics.add(packet.topic);
    try {
      await write(packet);
    } catch (error) {
      // The value that was to be removed is still stored, so it is still to be sent.
      if (removal && (await db.has(PREFIX + packet.topic).catch(() => false))) topics.add(packet.topic);
      throw error;
    }
  };
  store.createRetainedStreamCombi = (patterns) => {
    const matched = new Set<string>();
    for (const pattern of patterns) topics.collectMatches(pattern, matched, perFilter);
    if (matched.size === 0) return Readable.from([]);
    return Readable.from(readValues(db, [...matched].sort()));
  };
  store.createRetainedStream = (pattern) => store.createRetainedStreamCombi([pattern]);
  return { persistence, permanentTopics: () => topics.size };
}

/** Values are read a batch at a time, so a filter matching a whole fleet's values is not held in memory at once. */
const READ_BATCH = 1_000;

async function* readValues(db: ClassicLevel<string, Buffer>, topics: string[]): AsyncGenerator<unknown> {
  for (let start = 0; start < topics.length; start += READ_BATCH) {
    const keys = topics.slice(start, start + READ_BATCH).map((topic) => PREFIX + topic);
    for (const value of await db.getMany(keys, { valueEncoding: 'buffer' })) if (value !== undefined) yield msgpack.decode(value);
  }
}
