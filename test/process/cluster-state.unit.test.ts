import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterEdges } from '../../services/process/cluster-state.js';

test('edges from the route-table leases: alive while the lease runs, with their last report when it parses', () => {
  const now = 1_000_000;
  const report = { connections: 3, messages_received: 10, messages_delivered: 7, ready: true, at: now - 500 };
  const edges = clusterEdges(
    ['edge-b', String(now + 4000), 'edge-a', String(now - 1)],
    { 'edge-b': JSON.stringify(report), 'edge-a': '{broken' },
    now,
  );
  assert.deepEqual(
    edges.map((edge) => [edge.id, edge.alive, edge.report?.connections]),
    [
      ['edge-a', false, undefined],
      ['edge-b', true, 3],
    ],
  );
  assert.deepEqual(edges[1]!.report?.at, new Date(now - 500));
});
