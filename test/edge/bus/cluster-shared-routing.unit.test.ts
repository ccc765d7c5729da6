// Where a cluster edge sends a message for a shared-subscription group: to the edges holding
// members in turn, delivering itself when its turn comes and it has a member, and never passing on
// a message another edge already forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from 'mqemitter';
import { ClusterSharedRouting } from '../../../services/edge/bus/cluster-shared-routing.js';
import { InboxBatches } from '../../../services/edge/bus/inbox-batches.js';
import { decodeEntry } from '../../../services/edge/bus/inbox-codec.js';
import { RouteTable } from '../../../services/edge/bus/route-table.js';
import { sharedMessagesUndeliverable } from '../../../services/edge/bus/shared-routing.js';
import { sharedKey } from '../../../services/edge/topics/shared-filter.js';

const KEY = sharedKey('workers', '$iot/r1/devices/+/events');
const message = (payload: string): Message => ({ topic: '$iot/r1/devices/d1/events', payload: Buffer.from(payload) }) as Message;
const undeliverable = async () => (await sharedMessagesUndeliverable.get()).values[0]?.value ?? 0;

/** An edge `here` with a route table, a recorder of what it sends to other inboxes, and its own members' deliveries. */
function edge(here: string, membersHere: boolean) {
  const table = new RouteTable();
  const sent: Array<{ edge: string; field: string }> = [];
  const batches = new InboxBatches(async (edge, entry) => {
    for (const [field] of decodeEntry(entry)) sent.push({ edge, field });
  });
  const routing = new ClusterSharedRouting(table, here, batches);
  const delivered: string[] = [];
  routing.deliverThrough({
    deliver: (_key, given) => {
      if (!membersHere) return false;
      delivered.push(String(given.payload));
      return true;
    },
  });
  return { table, routing, sent, delivered, flush: () => batches.flush() };
}

test('messages of a group take turns over the edges holding members, this one delivering its own turn', async () => {
  const a = edge('a', true);
  a.table.add('a', KEY);
  a.table.add('b', KEY);
  const targets = ['1', '2', '3', '4'].map((payload) => a.routing.target(KEY, message(payload)));
  a.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(targets.filter((target) => target === undefined).length, 2, 'half were delivered here');
  assert.deepEqual(a.delivered.length, 2);
  assert.deepEqual(
    targets.filter((target) => target !== undefined),
    [
      { edge: 'b', field: `s${KEY}` },
      { edge: 'b', field: `s${KEY}` },
    ],
  );
});

test("when this edge's turn comes and its last member just left, another edge gets it marked as forwarded", () => {
  const a = edge('a', false);
  a.table.add('a', KEY);
  a.table.add('b', KEY);
  const targets = ['1', '2'].map((payload) => a.routing.target(KEY, message(payload)));
  assert.ok(targets.every((target) => target?.edge === 'b'));
  assert.ok(
    targets.some((target) => target?.field === `S${KEY}`),
    'the one meant for here is marked forwarded',
  );
});

test('from the inbox: a member here takes it; with none, it goes on once, and a forwarded one is dropped and counted', async () => {
  const withMember = edge('a', true);
  withMember.routing.fromInbox(KEY, message('x'), false);
  assert.deepEqual(withMember.delivered, ['x']);

  const without = edge('a', false);
  without.table.add('a', KEY);
  without.table.add('c', KEY);
  without.routing.fromInbox(KEY, message('y'), false);
  without.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(without.sent, [{ edge: 'c', field: `S${KEY}` }]);

  const before = await undeliverable();
  without.routing.fromInbox(KEY, message('z'), true);
  without.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(without.sent.length, 1, 'a forwarded message is not sent on again');
  assert.equal(await undeliverable(), before + 1);
});

test('a group with no reachable member anywhere drops the message and counts it', async () => {
  const a = edge('a', true);
  const before = await undeliverable();
  assert.equal(a.routing.target(KEY, message('1')), undefined);
  assert.deepEqual(a.delivered, []);
  assert.equal(await undeliverable(), before + 1);
});
