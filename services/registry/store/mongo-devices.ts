// How devices are laid out in MongoDB and the queries that read them by alias. Three fields are
// denormalised onto each device document: `folder_id` (folder-wide listing and quotas need no
// join), `alias_names` (the keys of `topic_aliases`, indexed with `registry_id`) and
// `alias_prefix_keys` (a key for every string prefix of every alias, registry included, the empty
// prefix too), so the no-alias-is-a-prefix-of-another rule is checked, and a registry's aliases
// listed, by exact lookups instead of by reading every device of the registry. Exact lookups, not
// a prefix regex or `$or`/`$in`: FerretDB v1 pushes only equality down to its SQL backend and
// reads the whole collection for the rest (measured: 2–4 ms against 700–930 ms per lookup at
// 20,000 devices on PostgreSQL).
import { createHash } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import pLimit from 'p-limit';
import { aliasesOverlap } from '../validation/topic-aliases.js';
import { bulkWriteInChunks } from '../../common/mongo-write-batches.js';
import type { AliasRecord, DeviceRecord } from './records.js';

export type DeviceDocument = DeviceRecord & { _id: string; folder_id: string; alias_names: string[]; alias_prefix_keys: string[] };

/** Index names and keys of the devices collection; every device query below is served by one. */
export const DEVICE_INDEXES = [
  { name: 'registry_name', key: { registry_id: 1, name: 1 }, unique: true },
  { name: 'registry_order', key: { registry_id: 1, _id: 1 } },
  { name: 'folder_order', key: { folder_id: 1, _id: 1 } },
  { name: 'registry_aliases', key: { registry_id: 1, alias_names: 1 } },
  { name: 'alias_prefix_keys', key: { alias_prefix_keys: 1 } },
] as const;

export function deviceDocument(device: DeviceRecord, folderId: string): DeviceDocument {
  return { _id: device.id, ...device, folder_id: folderId, ...aliasFields(device.registry_id, device.topic_aliases) };
}

export function deviceRecord(document: DeviceDocument | null): DeviceRecord | undefined {
  if (!document) return undefined;
  const { _id, folder_id, alias_names, alias_prefix_keys, ...device } = document;
  return device;
}

function aliasFields(registryId: string, aliases: Record<string, string>): Pick<DeviceDocument, 'alias_names' | 'alias_prefix_keys'> {
  const names = Object.keys(aliases);
  const keys = new Set<string>();
  // From the empty prefix, which marks a device with aliases (`aliasedDevicesFilter`).
  for (const alias of names)
    for (let length = 0; length <= alias.length; length++) keys.add(aliasPrefixKey(registryId, alias.slice(0, length)));
  return { alias_names: names, alias_prefix_keys: [...keys] };
}

/**
 * The key of one alias prefix in one registry: a hash, so an alias of up to 1,024 characters keeps
 * 1,024 short keys rather than every prefix spelled out. A collision only makes a lookup return a
 * device that the caller's own prefix test then drops.
 */
function aliasPrefixKey(registryId: string, prefix: string): string {
  return createHash('sha256').update(registryId).update('\0').update(prefix).digest('base64url').slice(0, 16);
}

/** Devices of the registry that have at least one alias: every alias starts with the empty prefix. */
export function aliasedDevicesFilter(registryId: string): Filter<DeviceDocument> {
  return { alias_prefix_keys: aliasPrefixKey(registryId, '') };
}

/**
 * Exact lookups that together find every device of the registry holding an alias that one of
 * `aliases` starts with (its alias is one of their prefixes, equal included) or that starts with
 * one of `aliases` (one of its prefix keys is theirs): a bounded number per alias, whatever the
 * registry's size, each served by an index on MongoDB and pushed down to SQL by FerretDB.
 */
export function aliasConflictLookups(registryId: string, aliases: string[]): Array<Filter<DeviceDocument>> {
  const prefixes = new Set<string>();
  for (const alias of aliases) for (let length = 1; length < alias.length; length++) prefixes.add(alias.slice(0, length));
  return [
    ...aliases.map((alias) => ({ alias_prefix_keys: aliasPrefixKey(registryId, alias) })),
    ...[...prefixes].map((prefix) => ({ registry_id: registryId, alias_names: prefix })),
  ];
}

/** A bounded number of lookups in flight, so one device's long aliases do not take the whole pool. */
const ALIAS_LOOKUPS_IN_FLIGHT = 8;

/** The store's `findAliasConflicts` (contract.ts) through `aliasConflictLookups`. */
export async function findAliasConflicts(
  devices: Collection<DeviceDocument>,
  registryId: string,
  exceptDeviceId: string,
  aliases: string[],
): Promise<AliasRecord[]> {
  const found = new Map<string, Pick<DeviceDocument, '_id' | 'topic_aliases'>>();
  const limit = pLimit(ALIAS_LOOKUPS_IN_FLIGHT);
  const lookups = aliasConflictLookups(registryId, aliases).map(async (filter) => {
    const documents = await limit(() => devices.find(filter, { projection: { topic_aliases: 1 } }).toArray());
    for (const document of documents) if (document._id !== exceptDeviceId) found.set(document._id, document);
  });
  await Promise.all(lookups);
  return aliasRecords([...found.values()]).filter(({ alias }) => aliases.some((mine) => aliasesOverlap(alias, mine)));
}

/** The alias entries of the given device documents, in device ID order. */
export function aliasRecords(documents: Array<Pick<DeviceDocument, '_id' | 'topic_aliases'>>): AliasRecord[] {
  return [...documents]
    .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
    .flatMap((document) =>
      Object.entries(document.topic_aliases).map(([alias, topic_prefix]) => ({ device_id: document._id, alias, topic_prefix })),
    );
}

/** Adds the alias fields to devices stored before they existed, once per database (marked in `schema`). */
export async function backfillAliasFields(db: Db, devices: Collection<DeviceDocument>): Promise<void> {
  const schema = db.collection<{ _id: string; done: boolean }>('schema');
  if (await schema.findOne({ _id: 'device_alias_prefix_keys' })) return;
  let batch: Array<{ id: string; fields: ReturnType<typeof aliasFields> }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await bulkWriteInChunks(
      devices,
      batch.map(({ id, fields }) => ({ updateOne: { filter: { _id: id }, update: { $set: fields } } })),
    );
    batch = [];
  };
  const stored = devices.find({ alias_prefix_keys: { $exists: false } }, { projection: { registry_id: 1, topic_aliases: 1 } });
  for await (const document of stored) {
    batch.push({ id: document._id, fields: aliasFields(document.registry_id, document.topic_aliases ?? {}) });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  await schema.updateOne({ _id: 'device_alias_prefix_keys' }, { $set: { done: true } }, { upsert: true });
}
