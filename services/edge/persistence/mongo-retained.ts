// The permanent-topic values (retained messages) a SUBSCRIBE's filters match, read from MongoDB
// through the `topic` index. aedes-persistence-mongodb asks for them with one regular expression
// that is not anchored at the start, so every SUBSCRIBE read the whole collection: with a value
// stored per device, each device's SUBSCRIBE read the fleet's. Here each filter becomes what the
// index can serve: its exact topic, or the topics starting with the levels before its first
// wildcard. Only a filter that starts with a wildcard still reads everything. No more values are
// read for a filter than can be sent for it: a backend subscribing to every device's `state` reads
// a thousand, not the fleet's.
import { Binary, type Collection, type Filter } from 'mongodb';
import { filterMatches } from '../topics/topic-syntax.js';
import { literalStart } from './topic-set.js';

interface StoredValue {
  topic: string;
  payload: unknown;
}

export interface RetainedFind {
  query: Filter<StoredValue>;
  /** The filters the query is for: it is read until each of them has its fill. */
  filters: string[];
}

/**
 * The queries for a SUBSCRIBE's values: one equality per exact topic (an index lookup on MongoDB,
 * and the one filter FerretDB hands down to PostgreSQL: 1.3 ms against 130–190 ms for `$in`,
 * `$or`, ranges or expressions, with 5,000 values stored), then an anchored prefix per other
 * filter, each read only until its filter has its fill; or, when a filter starts with a wildcard,
 * one query for everything.
 */
export function retainedFinds(filters: string[]): RetainedFind[] {
  const starts = filters.map((filter) => ({ filter, start: literalStart(filter) }));
  if (starts.some(({ start }) => !start.exact && start.prefix === '')) return [{ query: {}, filters }];
  const exact: RetainedFind[] = [];
  const prefixed: RetainedFind[] = [];
  for (const { filter, start } of starts) {
    if (start.exact) exact.push({ query: { topic: start.topic }, filters: [filter] });
    else prefixed.push({ query: { topic: { $regex: `^${escapeRegExp(start.prefix)}` } }, filters: [filter] });
  }
  return [...exact, ...prefixed];
}

interface RetainedReads {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
  createRetainedStream(pattern: string): AsyncIterable<unknown>;
}

/**
 * `store`: the promise-based store inside aedes-persistence-mongodb's callback wrapper. A filter's
 * values are read until it has `perFilter` of them (the first its queries return): more would not
 * be sent.
 */
export function readRetainedThroughIndex(store: RetainedReads, retained: Collection<StoredValue>, perFilter: number): void {
  store.createRetainedStreamCombi = async function* (patterns) {
    const matched = new Map(patterns.map((pattern) => [pattern, 0]));
    const filled = (filters: string[]) => filters.every((filter) => matched.get(filter)! >= perFilter);
    // A topic two filters match is sent once.
    const sent = new Set<string>();
    for (const find of retainedFinds(patterns)) {
      if (filled(find.filters)) continue;
      for await (const value of retained.find(find.query, { projection: { _id: 0 } })) {
        if (sent.has(value.topic) || !countMatch(matched, value.topic, perFilter)) continue;
        sent.add(value.topic);
        yield { ...value, payload: value.payload instanceof Binary ? Buffer.from(value.payload.buffer) : value.payload };
        if (filled(find.filters)) break;
      }
    }
  };
  store.createRetainedStream = (pattern) => store.createRetainedStreamCombi([pattern]);
}

/** Counts `topic` for every filter it matches; whether one of them had fewer than `perFilter` so far. */
function countMatch(matched: Map<string, number>, topic: string, perFilter: number): boolean {
  let wanted = false;
  for (const [filter, count] of matched) {
    if (!filterMatches(filter, topic)) continue;
    if (count < perFilter) wanted = true;
    matched.set(filter, count + 1);
  }
  return wanted;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
