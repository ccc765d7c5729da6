// A set of topics kept in order, so that the topics an MQTT topic filter matches are found among
// those starting with the filter's literal levels (the levels before its first wildcard) instead of
// by testing every topic. A red-black tree of the topics: about 90 bytes per topic besides the
// topic itself (a tree of levels with a map per level took 400).
import { OrderedMap } from '@js-sdsl/ordered-map';
import { filterMatches } from '../topics/topic-syntax.js';

/**
 * What of a filter is literal: the whole of it (no wildcard), or the start every matching topic
 * has — the levels before the first wildcard with their separator, but without it before a "#",
 * since "a/b/#" also matches "a/b". Empty when the filter starts with a wildcard.
 */
export function literalStart(filter: string): { exact: true; topic: string } | { exact: false; prefix: string } {
  const levels = filter.split('/');
  const wildcard = levels.findIndex((level) => level === '+' || level === '#');
  if (wildcard === -1) return { exact: true, topic: filter };
  if (wildcard === 0) return { exact: false, prefix: '' };
  return { exact: false, prefix: levels.slice(0, wildcard).join('/') + (levels[wildcard] === '#' ? '' : '/') };
}

export class TopicSet {
  readonly #topics = new OrderedMap<string, true>();

  get size(): number {
    return this.#topics.size();
  }

  add(topic: string): void {
    this.#topics.setElement(topic, true);
  }

  delete(topic: string): void {
    this.#topics.eraseElementByKey(topic);
  }

  /** Adds to `into` the first `limit` topics of the set (in order) that `filter` matches. */
  collectMatches(filter: string, into: Set<string>, limit = Number.POSITIVE_INFINITY): void {
    if (limit <= 0) return;
    const start = literalStart(filter);
    if (start.exact) {
      if (this.#topics.getElementByKey(start.topic)) into.add(start.topic);
      return;
    }
    const end = this.#topics.end();
    let matched = 0;
    for (let at = this.#topics.lowerBound(start.prefix); !at.equals(end) && matched < limit; at = at.next()) {
      const topic = at.pointer[0];
      if (!topic.startsWith(start.prefix)) break;
      if (filterMatches(filter, topic)) {
        into.add(topic);
        matched++;
      }
    }
  }
}
