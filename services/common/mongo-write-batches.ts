// FerretDB v1 on PostgreSQL keeps the read of each update in a write command open, with its pooled
// PostgreSQL connection, until the whole command ends (its update handler closes them deferred): an
// update that matches a document holds a connection and the next one's write needs another. A
// command with as many matching updates as its pool holds (`pool_max_conns`) then never ends, and
// takes every other request to that FerretDB down with it: with a pool of 30, 29 updates by `_id`
// in one command took 122 ms and 30 never returned; with the tests' 100, neither did a burst of 250
// permanent-topic values nor 120 filters subscribed again. Inserts (an upsert that matches nothing)
// and deletes release theirs at once. MongoDB takes 100,000 per command. iotcore's batched updates
// send at most this many per command.
import type { AnyBulkWriteOperation, BulkWriteOptions, Collection, Document } from 'mongodb';

export const MAX_WRITES_PER_COMMAND = 16;

/** `write` for each slice of at most MAX_WRITES_PER_COMMAND of `items`, one after another. */
export async function inCommandSizedSlices<T>(items: readonly T[], write: (slice: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += MAX_WRITES_PER_COMMAND)
    await write(items.slice(start, start + MAX_WRITES_PER_COMMAND));
}

/** `collection.bulkWrite` in commands of at most MAX_WRITES_PER_COMMAND operations, one after another. */
export function bulkWriteInChunks<T extends Document>(
  collection: Collection<T>,
  operations: ReadonlyArray<AnyBulkWriteOperation<T>>,
  options?: BulkWriteOptions,
): Promise<void> {
  return inCommandSizedSlices(operations, (slice) => collection.bulkWrite(slice, options));
}
