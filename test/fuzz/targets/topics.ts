// Topic and filter syntax, matching, and the canonical ↔ internal namespace translation
// (services/edge/topics/topic-syntax.ts, namespace.ts), over arbitrary strings.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { filterMatches, hasWildcard, topicFilterError, topicNameError } from '../../../services/edge/topics/topic-syntax.js';
import {
  brokerExternal,
  brokerInternal,
  isInternalTopic,
  parseCanonical,
  toCanonical,
  toInternal,
} from '../../../services/edge/topics/namespace.js';
import { pureSession, type FuzzTarget, type InputOf } from '../target.js';
import { anyId, anyTopic } from '../support/topic-inputs.js';

/** A filter made from `topic`: some levels replaced by '+', maybe cut short by '#'. */
const filterOf = (topic: string) => {
  const levels = topic.split('/');
  return fc
    .tuple(fc.array(fc.boolean(), { minLength: levels.length, maxLength: levels.length }), fc.option(fc.nat(levels.length)))
    .map(([plus, cut]) => {
      const filter = levels.map((level, index) => (plus[index] ? '+' : level));
      return cut === null ? filter.join('/') : [...filter.slice(0, cut), '#'].join('/');
    });
};

const inputs = fc.record({
  topic: anyTopic,
  filter: fc.oneof(anyTopic, anyTopic.chain(filterOf)),
  registryId: anyId,
  brokerId: anyId,
  otherBrokerId: anyId,
});
type Input = InputOf<typeof inputs>;

/**
 * MQTT 3.1.1 §4.7 matching written independently of the code, as a regular expression. (MQTT's
 * rule that wildcards do not match `$` topics is not the code's: every internal topic starts with
 * `$`, and isolation comes from the namespaces instead.)
 */
function referenceMatches(filter: string, topic: string): boolean {
  const pattern = filter
    .split('/')
    .map((level, index) => {
      if (level === '#') return index === 0 ? '.*' : '(?:/.*)?';
      const text = level === '+' ? '[^/]*' : level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return index === 0 ? text : `/${text}`;
    })
    .join('');
  return new RegExp(`^${pattern}$`, 's').test(topic);
}

function check({ topic, filter, registryId, brokerId, otherBrokerId }: Input): void {
  // Never throws, whatever the string.
  for (const text of [topic, filter]) {
    topicNameError(text);
    topicFilterError(text);
    hasWildcard(text);
    parseCanonical(text);
    toCanonical(text);
    isInternalTopic(text);
  }
  const validTopic = topicNameError(topic) === undefined;
  const validFilter = topicFilterError(filter) === undefined;
  if (validTopic) {
    assert.equal(topicFilterError(topic), undefined, 'a valid topic name is a valid filter');
    assert.equal(hasWildcard(topic), false);
    assert.ok(filterMatches(topic, topic), 'a topic matches itself');
  }
  if (validTopic && validFilter) {
    const matches = filterMatches(filter, topic);
    assert.equal(matches, referenceMatches(filter, topic), `filterMatches(${JSON.stringify(filter)}, ${JSON.stringify(topic)})`);
    if (!hasWildcard(filter)) assert.equal(matches, filter === topic, 'a filter without wildcards matches exactly the equal topic');
  }
  // Canonical → internal: inside the registry's namespace, and back again unchanged. A
  // `$registries/X/…` topic becomes the principal's own registry's, so only X = R comes back as is.
  const parts = validTopic ? parseCanonical(topic) : undefined;
  if (parts?.kind !== undefined) {
    const internal = toInternal(registryId, parts, topic);
    assert.ok(
      internal.startsWith(`$iot/${registryId}/`) && isInternalTopic(internal),
      `internal topic ${internal} outside $iot/${registryId}/`,
    );
    if (parts.root !== 'registries' || parts.id === registryId)
      assert.equal(toCanonical(internal), topic, 'canonical → internal → canonical');
  }
  // Brokers: any topic round-trips, and no other broker sees it.
  const internal = brokerInternal(brokerId, topic);
  assert.ok(isInternalTopic(internal));
  assert.equal(brokerExternal(brokerId, internal), topic);
  if (otherBrokerId !== brokerId) assert.equal(brokerExternal(otherBrokerId, internal), undefined, 'another broker reads it');
}

export const topicsTarget: FuzzTarget<Input> = {
  name: 'topics',
  summary: 'topic/filter syntax and matching, canonical ↔ internal namespaces, over arbitrary strings',
  start: () => pureSession(inputs, check),
};
