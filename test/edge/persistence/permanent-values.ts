// What the retained-message tests store and compare: a permanent-topic value as aedes stores it,
// and the values a store sends for a SUBSCRIBE, as sorted "topic=payload@qos" lines.

export interface PermanentValue {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** The part of aedes' persistence interface these tests use. */
export interface RetainedStore {
  storeRetained(packet: PermanentValue): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer; qos: number }>;
}

export function permanentValue(topic: string, payload: string, qos = 1): PermanentValue {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: true };
}

export async function sent(store: RetainedStore, patterns: string[]): Promise<string[]> {
  const values: string[] = [];
  for await (const packet of store.createRetainedStreamCombi(patterns))
    values.push(`${packet.topic}=${packet.payload.toString()}@${packet.qos}`);
  return values.sort();
}
