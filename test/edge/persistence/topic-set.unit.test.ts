// The ordered set of permanent topics (persistence/topic-set.ts) finds exactly the topics a filter
// matches, as aedes-persistence-level's own matcher (qlobber, with its options) decides them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Qlobber } from 'qlobber';
import { TopicSet } from '../../../services/edge/persistence/topic-set.js';

// aedes-persistence-level's options for matching retained topics against a SUBSCRIBE's filters.
const LIBRARY_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/', match_empty_levels: true };

function libraryMatches(topics: Iterable<string>, filter: string): string[] {
  const matcher = new Qlobber<boolean>(LIBRARY_OPTIONS);
  matcher.add(filter, true);
  return [...topics].filter((topic) => matcher.match(topic).length > 0).sort();
}

function setMatches(set: TopicSet, filter: string): string[] {
  const found = new Set<string>();
  set.collectMatches(filter, found);
  return [...found].sort();
}

/** A small pseudo-random generator, so a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

// Levels that sort just before and after the separator ('.' and '0'), and one outside ASCII.
const LEVELS = ['a', 'b', '$devices', 'd1', 'events', '', 'x y', 'a.b', 'a0', 'ü'];

function randomTopic(random: () => number): string {
  const depth = 1 + Math.floor(random() * 4);
  return Array.from({ length: depth }, () => LEVELS[Math.floor(random() * LEVELS.length)]).join('/');
}

function randomFilter(random: () => number): string {
  const depth = 1 + Math.floor(random() * 4);
  const levels = Array.from({ length: depth }, () => (random() < 0.3 ? '+' : LEVELS[Math.floor(random() * LEVELS.length)]!));
  if (random() < 0.3) levels[levels.length - 1] = '#';
  return levels.join('/');
}

test('every filter matches the same topics in the set as with the library matcher', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = generator(seed);
    const set = new TopicSet();
    const topics = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const topic = randomTopic(random);
      set.add(topic);
      topics.add(topic);
    }
    for (let i = 0; i < 300; i++) {
      const filter = randomFilter(random);
      assert.deepEqual(setMatches(set, filter), libraryMatches(topics, filter), `seed ${seed}, filter "${filter}"`);
    }
  }
});

test('"#" matches the level it follows and everything under it; "+" exactly one level, empty included', () => {
  const set = new TopicSet();
  for (const topic of ['$devices/d1', '$devices/d1/state', '$devices/d1/events/a', '$devices/d2/state', '$devices/', 'other'])
    set.add(topic);
  assert.deepEqual(setMatches(set, '$devices/d1/#'), ['$devices/d1', '$devices/d1/events/a', '$devices/d1/state']);
  assert.deepEqual(setMatches(set, '$devices/+/state'), ['$devices/d1/state', '$devices/d2/state']);
  assert.deepEqual(setMatches(set, '$devices/+'), ['$devices/', '$devices/d1']);
  assert.deepEqual(setMatches(set, '$devices/d1/state'), ['$devices/d1/state']);
  assert.deepEqual(setMatches(set, '$devices/d3/state'), []);
  assert.equal(setMatches(set, '#').length, 6);
});

test('deleted topics are no longer matched', () => {
  const set = new TopicSet();
  set.add('a/b/c');
  set.add('a/b');
  set.add('a/b');
  assert.equal(set.size, 2);
  set.delete('a/b/c');
  set.delete('a/x/never-added');
  assert.equal(set.size, 1);
  assert.deepEqual(setMatches(set, '#'), ['a/b']);
  set.delete('a/b');
  assert.equal(set.size, 0);
  assert.deepEqual(setMatches(set, '#'), []);
  assert.deepEqual(setMatches(set, '+/+'), []);
  set.add('a/b/c');
  assert.deepEqual(setMatches(set, 'a/+/+'), ['a/b/c']);
});
