// The route table replica: MQTT matching of internal filters to edges, idempotent changes (the feed
// may repeat what a snapshot held), whole-edge replacement and removal, and what it costs to hold
// a large fleet's routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from '../../../services/edge/bus/route-table.js';
import { compareIds } from '../../../services/edge/bus/route-keys.js';

const sorted = (edges: Set<string>) => [...edges].sort();

test('a topic names the edges with a matching filter, MQTT wildcards included', () => {
  const table = new RouteTable();
  table.add('a', '$iot/r1/devices/d1/commands');
  table.add('b', '$iot/r1/devices/+/events/#');
  table.add('c', '$iot/r1/devices/d1/events');
  table.add('c', '$SYS/+/heartbeat');
  assert.deepEqual(sorted(table.edgesFor('$iot/r1/devices/d1/events')), ['b', 'c'], '# also matches the parent level');
  assert.deepEqual(sorted(table.edgesFor('$iot/r1/devices/d2/events/x/y')), ['b']);
  assert.deepEqual(sorted(table.edgesFor('$iot/r1/devices/d1/commands')), ['a']);
  assert.deepEqual(sorted(table.edgesFor('$iot/r2/devices/d1/events')), [], 'another registry');
  assert.deepEqual(sorted(table.edgesFor('$SYS/node-1/heartbeat')), ['c']);
});

test('changes are idempotent, and an edge is replaced or dropped whole', () => {
  const table = new RouteTable();
  table.add('a', 'f/1');
  table.add('a', 'f/1');
  table.add('b', 'f/1');
  assert.equal(table.size, 2);
  table.remove('a', 'f/1');
  table.remove('a', 'f/1');
  assert.deepEqual(sorted(table.edgesFor('f/1')), ['b'], 'one edge leaving a filter leaves the others');
  table.replaceEdge('b', ['f/2', 'f/3']);
  assert.deepEqual(sorted(table.edgesFor('f/1')), []);
  assert.deepEqual(sorted(table.edgesFor('f/3')), ['b']);
  table.dropEdge('b');
  assert.equal(table.size, 0);
  assert.deepEqual(table.edges(), []);
});

test('a remembered match follows every change of the table', () => {
  const table = new RouteTable();
  const topic = 'r/d1/events';
  assert.deepEqual(sorted(table.edgesFor(topic)), []);
  table.add('a', 'r/+/events');
  assert.deepEqual(sorted(table.edgesFor(topic)), ['a'], 'added');
  table.add('b', 'r/#');
  assert.deepEqual(sorted(table.edgesFor(topic)), ['a', 'b'], 'added by another edge');
  table.remove('a', 'r/+/events');
  assert.deepEqual(sorted(table.edgesFor(topic)), ['b'], 'removed');
  table.replaceEdge('b', ['x/#']);
  assert.deepEqual(sorted(table.edgesFor(topic)), [], 'replaced');
  table.add('c', topic);
  assert.deepEqual(sorted(table.edgesFor(topic)), ['c']);
  table.dropEdge('c');
  assert.deepEqual(sorted(table.edgesFor(topic)), [], 'dropped');
  table.add('d', topic);
  assert.deepEqual(sorted(table.edgesFor(topic)), ['d']);
  table.clear();
  assert.deepEqual(sorted(table.edgesFor(topic)), [], 'cleared');
  table.add('e', '$share/g/r/#');
  assert.deepEqual(sorted(table.edgesFor(topic)), [], 'a group key is no plain route');
});

test('a topic reaches the table when a plain route or a shared group matches it, after every change', () => {
  const table = new RouteTable();
  const topic = '$iot/r1/monitoring/d1/json';
  assert.equal(table.reaches(topic), false);
  table.add('a', '$iot/r1/devices/+/events/#');
  assert.equal(table.reaches(topic), false, "another registry's events only");
  table.add('b', '$iot/r1/monitoring/+/json');
  assert.equal(table.reaches(topic), true);
  table.dropEdge('b');
  assert.equal(table.reaches(topic), false, 'dropped');
  table.add('c', '$share/g/$iot/r1/monitoring/#');
  assert.equal(table.reaches(topic), true, 'a shared group');
  assert.equal(table.reaches('$iot/r2/monitoring/d1/json'), false);
  table.remove('c', '$share/g/$iot/r1/monitoring/#');
  assert.equal(table.reaches(topic), false, 'the group left');
});

test('stream IDs order by time, then sequence', () => {
  assert.ok(compareIds('1700000000000-5', '1700000000000-12') < 0);
  assert.ok(compareIds('1700000000001-0', '1700000000000-99') > 0);
  assert.equal(compareIds('5-1', '5-1'), 0);
  assert.ok(compareIds('max', '99999999999999-0') > 0);
});

test('100,000 devices subscribed to their own commands, spread over 6 edges: memory and update cost', (t) => {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const table = new RouteTable();
  const started = performance.now();
  for (let n = 0; n < 100_000; n++)
    table.add(`edge-${n % 6}`, `$iot/areg0123456789abcdef/devices/are${n.toString().padStart(17, '0')}/commands/#`);
  const addSeconds = (performance.now() - started) / 1000;
  global.gc?.();
  const bytes = process.memoryUsage().heapUsed - before;
  const matchStarted = performance.now();
  for (let n = 0; n < 100_000; n++)
    assert.equal(table.edgesFor(`$iot/areg0123456789abcdef/devices/are${n.toString().padStart(17, '0')}/commands/x`).size, 1);
  const matchSeconds = (performance.now() - matchStarted) / 1000;
  assert.equal(table.size, 100_000);
  t.diagnostic(
    `route table, 100,000 routes: ~${(bytes / 1e6).toFixed(0)} MB of heap, ${Math.round(100_000 / addSeconds).toLocaleString('en')} adds/s, ${Math.round(100_000 / matchSeconds).toLocaleString('en')} matches/s`,
  );
});
