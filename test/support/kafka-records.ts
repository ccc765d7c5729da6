// Reading a topic back in tests: every record from the earliest offset, with a consumer group of
// its own, until the expected count arrived or the time is up.
import { Admin, Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';

export interface ReadRecord {
  key: string;
  value: string;
  partition: number;
  offset: bigint;
}

export async function createTopic(bootstrap: string, topic: string, partitions = 1): Promise<void> {
  const admin = new Admin({ clientId: 'iotcore-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** At least `count` records of `topic` (more if more arrive together), or fails after `timeoutMs`. */
export async function readRecords(bootstrap: string, topic: string, count: number, timeoutMs = 20_000): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    groupId: `iotcore-test-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    clientId: 'iotcore-test-reader',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
  });
  const records: ReadRecord[] = [];
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false, maxWaitTime: 200 });
  const timer = setTimeout(
    () => stream.destroy(new Error(`${records.length} of ${count} records of ${topic} within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    for await (const message of stream) {
      records.push({ key: message.key, value: message.value, partition: message.partition, offset: message.offset });
      if (records.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => {});
    await consumer.close(true);
  }
  return records;
}
