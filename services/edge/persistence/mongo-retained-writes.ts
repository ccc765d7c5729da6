// aedes-persistence-mongodb's batched writes of permanent-topic values, in commands FerretDB v1
// can finish: at most MAX_WRITES_PER_COMMAND each (common/mongo-write-batches.ts). With as many in
// one command as its pool holds, FerretDB never answered: the values were never stored, the
// publishes waiting on them never acknowledged, and FerretDB's pool was gone for every other
// request.
import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { MAX_WRITES_PER_COMMAND } from '../../common/mongo-write-batches.js';

interface RetainedWrites {
  storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
}

interface QueuedWrite {
  operation: AnyBulkWriteOperation<Document>;
  stored: () => void;
  failed: (error: unknown) => void;
}

/**
 * The library queues each value and, once its previous write is done, sends everything queued
 * meanwhile as one ordered bulkWrite: in a burst (a fleet reconnecting and publishing its `state`),
 * hundreds of upserts in one command. Same queue, same order, same upserts and deletes by topic
 * here, in commands of at most MAX_WRITES_PER_COMMAND. Unlike the library, a value the database
 * did not store fails its publish, as on LevelDB: aedes then neither delivers it nor lets the
 * publisher be acknowledged (its connection is closed, and a QoS 1 publisher sends it again), so a
 * PUBACK on a permanent topic means its value is stored. A failed command fails every value in
 * it: which of its writes were applied is not reliably known (FerretDB v1 names the wrong one), and
 * a value stored and then sent again only replaces itself.
 */
export function writeRetainedInBatches(store: RetainedWrites, retained: Collection<Document>): void {
  const queue: QueuedWrite[] = [];
  let writing = false;
  const writeQueued = async () => {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_WRITES_PER_COMMAND);
      await retained.bulkWrite(batch.map(({ operation }) => operation)).then(
        () => {
          for (const write of batch) write.stored();
        },
        (error: unknown) => {
          for (const write of batch) write.failed(error);
        },
      );
    }
    writing = false;
  };
  store.storeRetained = (packet) =>
    new Promise<void>((stored, failed) => {
      const filter = { topic: packet.topic };
      // An empty payload clears the topic's value.
      const operation: AnyBulkWriteOperation<Document> =
        packet.payload.length > 0 ? { updateOne: { filter, update: { $set: packet }, upsert: true } } : { deleteOne: { filter } };
      queue.push({ operation, stored, failed });
      if (!writing) void writeQueued();
    });
}
