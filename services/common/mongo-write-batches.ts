// FerretDB v1 on PostgreSQL can hold a pooled PostgreSQL connection for each update of a write
// command until the whole command ends. A command with as many updates as its pool holds
// (`pool_max_conns`) then never ends, and takes every other request to that FerretDB down with it:
// with a pool of 30, 29 updates by `_id` in one command took 122 ms and 30 never returned; with the
// tests' 100, a burst of 250 upserts of permanent-topic values never returned either. MongoDB takes
// 100,000 per command. iotcore's batched updates send at most this many per command.
import type { AnyBulkWriteOperation, BulkWriteOptions, Collection, Document } from 'mongodb';

export const MAX_WRITES_PER_COMMAND = 16;

/** `collection.bulkWrite` in commands of at most MAX_WRITES_PER_COMMAND operations, one after another. */
export async function bulkWriteInChunks<T extends Document>(
  collection: Collection<T>,
  operations: ReadonlyArray<AnyBulkWriteOperation<T>>,
  options?: BulkWriteOptions,
): Promise<void> {
  for (let start = 0; start < operations.length; start += MAX_WRITES_PER_COMMAND)
    await collection.bulkWrite(operations.slice(start, start + MAX_WRITES_PER_COMMAND), options);
}
