// How devices are laid out in MongoDB and the queries that read them by alias. Two fields are
// denormalised onto each device document: `folder_id` (folder-wide listing and quotas need no
// join) and `alias_names` (the keys of `topic_aliases`, indexed with `registry_id`, so the
// no-alias-is-a-prefix-of-another rule is checked through the index instead of by reading every
// device of the registry).
import type { Collection, Db } from 'mongodb';
import type { AliasRecord, DeviceRecord } from './records.js';

export type DeviceDocument = DeviceRecord & { _id: string; folder_id: string; alias_names: string[] };

/** Index names and keys of the devices collection; every device query below is served by one. */
export const DEVICE_INDEXES = [
  { name: 'registry_name', key: { registry_id: 1, name: 1 }, unique: true },
  { name: 'registry_order', key: { registry_id: 1, _id: 1 } },
  { name: 'folder_order', key: { folder_id: 1, _id: 1 } },
  { name: 'registry_aliases', key: { registry_id: 1, alias_names: 1 } },
] as const;

export function deviceDocument(device: DeviceRecord, folderId: string): DeviceDocument {
  return { _id: device.id, ...device, folder_id: folderId, alias_names: Object.keys(device.topic_aliases) };
}

export function deviceRecord(document: DeviceDocument | null): DeviceRecord | undefined {
  if (!document) return undefined;
  const { _id, folder_id, alias_names, ...device } = document;
  return device;
}

/** Devices of the registry that have at least one alias (every alias is a non-empty string). */
export function aliasedDevicesFilter(registryId: string) {
  return { registry_id: registryId, alias_names: { $gt: '' } };
}

/**
 * Devices of the registry, other than `exceptDeviceId`, holding an alias that one of `aliases`
 * starts with (an exact match on one of its prefixes) or that starts with one of `aliases`
 * (an anchored prefix regex, which MongoDB answers as an index range).
 */
export function aliasConflictFilter(registryId: string, exceptDeviceId: string, aliases: string[]) {
  const prefixes = new Set<string>();
  for (const alias of aliases) for (let length = 1; length < alias.length; length++) prefixes.add(alias.slice(0, length));
  const branches: object[] = aliases.map((alias) => ({ registry_id: registryId, alias_names: { $regex: `^${escapeRegex(alias)}` } }));
  if (prefixes.size > 0) branches.push({ registry_id: registryId, alias_names: { $in: [...prefixes] } });
  return { $or: branches, _id: { $ne: exceptDeviceId } };
}

/** The alias entries of the given device documents, in device ID order. */
export function aliasRecords(documents: Array<Pick<DeviceDocument, '_id' | 'topic_aliases'>>): AliasRecord[] {
  return [...documents]
    .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
    .flatMap((document) =>
      Object.entries(document.topic_aliases).map(([alias, topic_prefix]) => ({ device_id: document._id, alias, topic_prefix })),
    );
}

/** Adds `alias_names` to devices stored before it existed, once per database (marked in `schema`). */
export async function backfillAliasNames(db: Db, devices: Collection<DeviceDocument>): Promise<void> {
  const schema = db.collection<{ _id: string; done: boolean }>('schema');
  if (await schema.findOne({ _id: 'device_alias_names' })) return;
  let batch: Array<{ id: string; names: string[] }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await devices.bulkWrite(
      batch.map(({ id, names }) => ({ updateOne: { filter: { _id: id }, update: { $set: { alias_names: names } } } })),
    );
    batch = [];
  };
  for await (const document of devices.find({ alias_names: { $exists: false } }, { projection: { topic_aliases: 1 } })) {
    batch.push({ id: document._id, names: Object.keys(document.topic_aliases ?? {}) });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  await schema.updateOne({ _id: 'device_alias_names' }, { $set: { done: true } }, { upsert: true });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
