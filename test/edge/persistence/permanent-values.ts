// What the retained-message tests store and compare: a permanent-topic value as aedes stores it,
// the values a store sends for a SUBSCRIBE, as sorted "topic=payload@qos" lines, and what a
// store limited per filter must send.
import assert from 'node:assert/strict';
import { filterMatches } from '../../../services/edge/topics/topic-syntax.js';

/** A store's limit of values read per filter, for comparisons with the libraries, which have none. */
export const UNLIMITED = Number.POSITIVE_INFINITY;

export interface PermanentValue {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** The part of aedes' persistence interface these tests use. */
export interface RetainedStore {
  storeRetained(packet: PermanentValue): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer; qos: number }>;
}

export function permanentValue(topic: string, payload: string, qos = 1): PermanentValue {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: true };
}

export async function sent(store: RetainedStore, patterns: string[]): Promise<string[]> {
  const values: string[] = [];
  for await (const packet of store.createRetainedStreamCombi(patterns))
    values.push(`${packet.topic}=${packet.payload.toString()}@${packet.qos}`);
  return values.sort();
}

/**
 * With a limit of `perFilter` values per filter, `sentLines` (from `sent`) holds no topic twice,
 * none that no filter matches, at least min(perFilter, its matches among `stored`) for each
 * filter, and no more than perFilter times the filters in all.
 */
export function assertEachFilterFilled(sentLines: string[], filters: string[], stored: string[], perFilter: number): void {
  const topics = sentLines.map((line) => line.slice(0, line.lastIndexOf('=')));
  assert.equal(new Set(topics).size, topics.length, 'a topic sent twice');
  for (const topic of topics)
    assert.ok(
      filters.some((filter) => filterMatches(filter, topic)),
      `${topic} matches no filter`,
    );
  assert.ok(topics.length <= perFilter * filters.length, `${topics.length} sent for ${filters.length} filters`);
  for (const filter of filters) {
    const matches = stored.filter((topic) => filterMatches(filter, topic)).length;
    const got = topics.filter((topic) => filterMatches(filter, topic)).length;
    assert.ok(got >= Math.min(perFilter, matches), `${filter}: ${got} of ${matches} sent`);
  }
}
