// The permanent-topic values (retained messages) a SUBSCRIBE's filters match, read from MongoDB
// through the `topic` index. aedes-persistence-mongodb asks for them with one regular expression
// that is not anchored at the start, so every SUBSCRIBE read the whole collection: with a value
// stored per device, each device's SUBSCRIBE read the fleet's. Here each filter becomes what the
// index can serve: its exact topic, or the topics starting with the levels before its first
// wildcard. Only a filter that starts with a wildcard still reads everything.
import { Binary, type Collection, type Filter } from 'mongodb';
import { filterMatches } from '../topics/topic-syntax.js';
import { literalStart } from './topic-set.js';

export interface RetainedQuery {
  /** Filters without wildcards: their topic. */
  exact: string[];
  /** The literal start of the other filters (topic-set.ts, `literalStart`). */
  prefixes: string[];
  /** A filter starting with a wildcard: every value has to be looked at. */
  all: boolean;
}

export function retainedQuery(filters: string[]): RetainedQuery {
  const query: RetainedQuery = { exact: [], prefixes: [], all: false };
  for (const filter of filters) {
    const start = literalStart(filter);
    if (start.exact) query.exact.push(start.topic);
    else if (start.prefix === '') query.all = true;
    else query.prefixes.push(start.prefix);
  }
  return query;
}

interface StoredValue {
  topic: string;
  payload: unknown;
}

interface RetainedReads {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
  createRetainedStream(pattern: string): AsyncIterable<unknown>;
}

/**
 * The queries for a SUBSCRIBE's values: one equality per exact topic (an index lookup on MongoDB,
 * and the one filter FerretDB hands down to PostgreSQL: 1.3 ms against 130–190 ms for `$in`,
 * `$or`, ranges or expressions, with 5,000 values stored), and one query for the prefixes.
 */
export function retainedFinds(query: RetainedQuery): Array<Filter<StoredValue>> {
  if (query.all) return [{}];
  const finds: Array<Filter<StoredValue>> = query.exact.map((topic) => ({ topic }));
  if (query.prefixes.length > 0) finds.push({ $or: query.prefixes.map((prefix) => ({ topic: { $regex: `^${escapeRegExp(prefix)}` } })) });
  return finds;
}

/** `store`: the promise-based store inside aedes-persistence-mongodb's callback wrapper. */
export function readRetainedThroughIndex(store: RetainedReads, retained: Collection<StoredValue>): void {
  store.createRetainedStreamCombi = async function* (patterns) {
    // A topic two filters match is sent once.
    const sent = new Set<string>();
    for (const filter of retainedFinds(retainedQuery(patterns))) {
      for await (const value of retained.find(filter, { projection: { _id: 0 } })) {
        if (sent.has(value.topic) || !patterns.some((pattern) => filterMatches(pattern, value.topic))) continue;
        sent.add(value.topic);
        yield { ...value, payload: value.payload instanceof Binary ? Buffer.from(value.payload.buffer) : value.payload };
      }
    }
  };
  store.createRetainedStream = (pattern) => store.createRetainedStreamCombi([pattern]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
