// The pure parts of shared subscriptions: the `$share/<group>/<filter>` form, and the groups with
// their members in turn, as the route table (edges) and an edge (sessions) hold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSharedFilter, parseSharedKey, sharedKey } from '../../../services/edge/topics/shared-filter.js';
import { SharedGroups } from '../../../services/edge/bus/shared-groups.js';
import { RouteTable } from '../../../services/edge/bus/route-table.js';

test('$share/<group>/<filter> splits at the first "/" after the group; other forms are errors or not shared at all', () => {
  assert.deepEqual(parseSharedFilter('$share/g/$devices/+/events'), { group: 'g', filter: '$devices/+/events' });
  assert.deepEqual(parseSharedFilter('$share/workers/a/b/#'), { group: 'workers', filter: 'a/b/#' });
  for (const bad of ['$share/g', '$share/g/', '$share//a', '$share/g+/a', '$share/#/a', '$share/'])
    assert.ok(parseSharedFilter(bad) && 'error' in parseSharedFilter(bad)!, bad);
  assert.equal(parseSharedFilter('$devices/d/events'), undefined);
  assert.equal(parseSharedFilter('$shared/g/a'), undefined);
  const key = sharedKey('g', '$iot/r/devices/+/events');
  assert.equal(key, '$share/g/$iot/r/devices/+/events');
  assert.deepEqual(parseSharedKey(key), { group: 'g', filter: '$iot/r/devices/+/events' });
  assert.equal(parseSharedKey('$iot/r/devices/+/events'), undefined);
});

test('groups: a topic reaches each group whose filter matches; members take turns, skipping unusable ones', () => {
  const groups = new SharedGroups<string>();
  const all = sharedKey('g', 'a/+');
  const one = sharedKey('g', 'a/b');
  groups.add(all, 'm1');
  groups.add(all, 'm2');
  groups.add(all, 'm2');
  groups.add(all, 'm3');
  groups.add(one, 'm1');
  assert.deepEqual([...groups.groupsFor('a/b')].sort(), [all, one].sort(), 'same name, different filters: two groups');
  assert.deepEqual([...groups.groupsFor('a/c')], [all]);
  assert.deepEqual([...groups.groupsFor('x')], []);
  assert.deepEqual(
    Array.from({ length: 6 }, () => groups.next(all)),
    ['m1', 'm2', 'm3', 'm1', 'm2', 'm3'],
  );
  assert.equal(
    groups.next(all, (member) => member !== 'm1'),
    'm2',
    'the turn passes over a member that cannot take it',
  );
  assert.equal(
    groups.next(all, () => false),
    undefined,
  );
  groups.remove(all, 'm2');
  groups.remove(all, 'absent');
  assert.deepEqual(new Set(Array.from({ length: 4 }, () => groups.next(all))), new Set(['m1', 'm3']));
  groups.remove(all, 'm1');
  groups.remove(all, 'm3');
  assert.equal(groups.has(all), false);
  assert.deepEqual([...groups.groupsFor('a/c')], [], 'a group without members is forgotten');
  assert.equal(groups.size, 1);
  assert.throws(() => groups.add('a/+', 'm1'), /not a shared subscription key/);
});

test('route table: a group key is a route of its edge; a message reaches one edge per group, in turn, and a dropped edge leaves its groups', () => {
  const table = new RouteTable();
  const key = sharedKey('g', '$iot/r/devices/+/events');
  for (const edge of ['e1', 'e2', 'e3']) table.add(edge, key);
  table.add('e4', '$iot/r/devices/+/events');
  const topic = '$iot/r/devices/d/events';
  assert.deepEqual([...table.edgesFor(topic)], ['e4'], 'a group key is no plain route');
  assert.deepEqual([...(table.sharedGroupsFor(topic) ?? [])], [key]);
  assert.deepEqual(
    Array.from({ length: 6 }, () => table.nextEdgeOf(key)),
    ['e1', 'e2', 'e3', 'e1', 'e2', 'e3'],
  );
  assert.equal(table.size, 4);
  table.dropEdge('e2');
  table.remove('e3', key);
  assert.deepEqual(new Set(Array.from({ length: 3 }, () => table.nextEdgeOf(key))), new Set(['e1']));
  table.replaceEdge('e1', []);
  assert.equal(table.sharedGroupsFor(topic), undefined, 'no group left: nothing to match');
  assert.equal(table.size, 1);
});
