// The route bus's sender: one inbox entry per peer per event-loop turn, in order, at most
// `maxBatch` messages each, and each message's callback once its entry is stored or failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InboxBatches } from '../../../services/edge/bus/inbox-batches.js';
import { decodeEntry } from '../../../services/edge/bus/inbox-codec.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const messages = (entry: Buffer) => decodeEntry(entry).map(([, message]) => String(message));

test('the messages of one turn go to each peer as one entry, in order, and are acknowledged after it is stored', async () => {
  const appended: Array<{ edge: string; messages: string[] }> = [];
  const stores: Array<() => void> = [];
  const batches = new InboxBatches((edge, entry) => {
    appended.push({ edge, messages: messages(entry) });
    assert.ok(
      decodeEntry(entry).every(([field]) => field === 'm'),
      'field names are m',
    );
    return new Promise<void>((resolve) => stores.push(resolve));
  });
  const acknowledged: string[] = [];
  for (const [edge, message] of [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ] as const)
    batches.add(edge, Buffer.from(message), (error) => acknowledged.push(error ? `error ${message}` : message));
  assert.deepEqual(appended, [], 'nothing is sent before the end of the turn');
  await turn();
  assert.deepEqual(appended, [
    { edge: 'a', messages: ['1', '3'] },
    { edge: 'b', messages: ['2'] },
  ]);
  assert.equal(acknowledged.length, 0, 'not acknowledged before the inbox has it');
  stores[1]!();
  await turn();
  assert.deepEqual(acknowledged, ['2'], "the second entry's message, once it is stored");
  stores[0]!();
  await turn();
  assert.deepEqual(acknowledged, ['2', '1', '3']);
});

test('a full batch is sent at once and the next one starts; order per peer is kept', async () => {
  const appended: string[][] = [];
  const batches = new InboxBatches(async (_edge, entry) => void appended.push(messages(entry)), 2);
  for (const message of ['1', '2', '3', '4', '5']) batches.add('a', Buffer.from(message), () => undefined);
  assert.deepEqual(appended, [
    ['1', '2'],
    ['3', '4'],
  ]);
  await turn();
  assert.deepEqual(appended, [['1', '2'], ['3', '4'], ['5']]);
});

test('a failed append fails every message of its entry; flush sends at once', async () => {
  const batches = new InboxBatches(async () => {
    throw new Error('Redis is away');
  });
  const results: Array<string | undefined> = [];
  batches.add('a', Buffer.from('1'), (error) => results.push(error?.message));
  batches.add('a', Buffer.from('2'), (error) => results.push(error?.message));
  batches.flush();
  await turn();
  assert.deepEqual(results, ['Redis is away', 'Redis is away']);
});
