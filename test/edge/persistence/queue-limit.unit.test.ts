import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withQueueLimit } from '../../../services/edge/persistence/queue-limit.js';

/** A store that keeps what was enqueued and answers counts after a delay, as a database does. */
function store() {
  const queued: string[] = [];
  let counts = 0;
  const persistence = {
    outgoingEnqueue: async (sub: { clientId: string }, _packet: { payload?: string }) => {
      queued.push(sub.clientId);
    },
    outgoingEnqueueCombi: async () => {},
  };
  const counter = async (clientId: string) => {
    counts++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const messages = queued.filter((id) => id === clientId).length;
    return { messages, bytes: messages };
  };
  return { persistence, counter, queued, counts: () => counts };
}

test('a burst to one session asks the store once and queues no more than the limit', async () => {
  const { persistence, counter, queued, counts } = store();
  const dropped: string[] = [];
  const limited = withQueueLimit(persistence, { maxMessages: 10, maxBytes: 1_000_000 }, counter, (id) => dropped.push(id));
  await Promise.all(Array.from({ length: 50 }, () => limited.outgoingEnqueue({ clientId: 's1' }, { payload: 'x' })));
  assert.equal(counts(), 1);
  assert.equal(queued.length, 10);
  assert.equal(dropped.length, 40);
});

test('sessions are counted apart', async () => {
  const { persistence, counter, queued, counts } = store();
  const limited = withQueueLimit(persistence, { maxMessages: 3, maxBytes: 1_000_000 }, counter, () => {});
  await Promise.all(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'].map((clientId) => limited.outgoingEnqueue({ clientId }, { payload: 'x' })));
  assert.equal(counts(), 2);
  assert.deepEqual([...queued].sort(), ['a', 'a', 'a', 'b', 'b', 'b']);
});
