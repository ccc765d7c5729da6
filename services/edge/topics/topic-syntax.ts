// MQTT 3.1.1 topic name and filter syntax (§4.7), with Yandex's length limit.

import { MAX_MQTT_TOPIC_LENGTH as MAX_TOPIC_LENGTH } from '../../contracts/limits.js';
import { malformedTopicNameError, NOT_UTF8 } from '../../contracts/topic-name.js';

export { malformedTopicNameError, NOT_UTF8 };

/**
 * aedes takes topics of at most 100 levels (its matcher's limit) and fails deeper ones only after
 * the hooks have let them through (a data-plane publish then failed as INTERNAL: found by fuzzing,
 * test/fuzz/). The internal namespace adds up to 2 levels (`t` → `$broker/B/t`), so clients get 98.
 */
export const MAX_TOPIC_LEVELS = 98;

export function topicLevels(topic: string): number {
  let levels = 1;
  for (let index = topic.indexOf('/'); index !== -1; index = topic.indexOf('/', index + 1)) levels++;
  return levels;
}

/** A topic name with every limit: Yandex's length, aedes' depth, and what MQTT forbids. */
export function topicNameError(topic: string): string | undefined {
  if (topic.length > MAX_TOPIC_LENGTH) return 'topic too long';
  return malformedTopicNameError(topic) ?? (topicLevels(topic) > MAX_TOPIC_LEVELS ? 'too many topic levels' : undefined);
}

export function topicFilterError(filter: string): string | undefined {
  if (filter.length === 0) return 'empty filter';
  if (filter.length > MAX_TOPIC_LENGTH) return 'filter too long';
  if (filter.includes('\0')) return 'NUL in filter';
  if (filter.includes(NOT_UTF8)) return 'filter is not valid UTF-8';
  const levels = filter.split('/');
  if (levels.length > MAX_TOPIC_LEVELS) return 'too many filter levels';
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) return '"#" must be the last level on its own';
    if (level.includes('+') && level !== '+') return '"+" must occupy a whole level';
  }
  return undefined;
}

export function hasWildcard(filter: string): boolean {
  return /[+#]/.test(filter);
}

/** Whether `topic` matches `filter` (both already syntactically valid). */
export { filterMatches } from '../../contracts/topic-filter.js';
