// Device lifecycle rules (docs/yandex-behaviour.md §1.4, §1.7, §3.6): names unique per registry, topic aliases that
// always point into the device's own topic tree and never shadow another alias of the registry.
import { validateId, validateName, validateResourceFields } from '../validation/resource-fields.js';
import { assertNoAliasPrefixConflicts, normalizeTopicAliases } from '../validation/topic-aliases.js';
import { notFound } from '../store/contract.js';
import type { AliasRecord, DeviceRecord } from '../store/records.js';
import type { ResourceContext } from './context.js';
import { checkQuota, keepWithinQuota } from './quota.js';
import { comparable } from './comparable.js';
import { prepareInitialCredentials } from './credentials.js';
import { getRegistry, definedOnly } from './registries.js';

export interface DeviceFields {
  name: string;
  description: string;
  topic_aliases: Record<string, string>;
  labels: Record<string, string>;
}

export interface CreateDeviceInput extends DeviceFields {
  registry_id: string;
  certificates: string[];
  password?: string;
}

export async function createDevice(ctx: ResourceContext, input: CreateDeviceInput): Promise<DeviceRecord> {
  const registry = await getRegistry(ctx, input.registry_id);
  validateResourceFields(input, { nameRequired: true });
  const inFolder = () => ctx.store.countDevices({ folder_id: registry.folder_id });
  await checkQuota('devices', ctx.quotas.devices_per_folder, inFolder);
  const id = ctx.newId();
  const topic_aliases = normalizeTopicAliases(id, input.topic_aliases);
  await assertAliasesFree(ctx, registry.id, id, topic_aliases);
  const device: DeviceRecord = {
    id,
    registry_id: registry.id,
    created_at: ctx.now(),
    name: input.name,
    description: input.description,
    topic_aliases,
    labels: input.labels,
    monitoring: {},
  };
  const credentials = await prepareInitialCredentials(ctx, { kind: 'device', id }, input);
  await ctx.store.createDevice(device, credentials);
  await keepAliasesIfStillFree(ctx, device, () => deleteDevice(ctx, id));
  await keepWithinQuota('devices', ctx.quotas.devices_per_folder, inFolder, () => deleteDevice(ctx, id));
  return device;
}

export async function getDevice(ctx: ResourceContext, id: string): Promise<DeviceRecord> {
  validateId('device_id', id);
  const device = await ctx.store.getDevice(id);
  if (!device) throw notFound(`device ${id} not found`);
  return device;
}

export async function getDeviceByName(ctx: ResourceContext, registryId: string, name: string): Promise<DeviceRecord> {
  validateId('registry_id', registryId);
  validateName('device_name', name, { required: true });
  const device = await ctx.store.getDeviceByName(registryId, name);
  if (!device) throw notFound(`device with name ${name} not found in registry ${registryId}`);
  return device;
}

export async function updateDevice(ctx: ResourceContext, id: string, patch: Partial<DeviceFields>): Promise<DeviceRecord> {
  const current = await getDevice(ctx, id);
  const updated: DeviceRecord = { ...current, ...definedOnly(patch) };
  validateResourceFields(updated, { nameRequired: false });
  if (patch.topic_aliases !== undefined) {
    updated.topic_aliases = normalizeTopicAliases(id, patch.topic_aliases);
    await assertAliasesFree(ctx, current.registry_id, id, updated.topic_aliases);
  }
  await ctx.store.updateDevice(updated);
  if (patch.topic_aliases !== undefined) {
    await keepAliasesIfStillFree(ctx, updated, () => restoreAliases(ctx, updated, current.topic_aliases));
    ctx.events.revoke({ kind: 'DEVICE_ALIASES_CHANGED', entity_id: id, registry_id: current.registry_id, credential_id: '' });
  }
  return updated;
}

export async function deleteDevice(ctx: ResourceContext, id: string): Promise<DeviceRecord> {
  const device = await getDevice(ctx, id);
  await ctx.store.deleteDevice(id);
  ctx.events.revoke({ kind: 'DEVICE_DELETED', entity_id: id, registry_id: device.registry_id, credential_id: '' });
  return device;
}

/** Every alias of the registry's devices, by device ID. */
export async function listRegistryAliases(ctx: ResourceContext, registryId: string): Promise<AliasRecord[]> {
  return ctx.store.listAliases(registryId);
}

/**
 * Refuses aliases that are a prefix of another device's alias in the registry or have one as a
 * prefix; the store finds the candidates through its alias index, the rule and its message stay here.
 */
export async function assertAliasesFree(
  ctx: ResourceContext,
  registryId: string,
  deviceId: string,
  aliases: Record<string, string>,
): Promise<void> {
  const names = Object.keys(aliases);
  if (names.length === 0) return;
  assertNoAliasPrefixConflicts(deviceId, aliases, await ctx.store.findAliasConflicts(registryId, deviceId, names));
}

/**
 * The alias check again, after the write: two calls running at once both pass `assertAliasesFree`
 * before either writes (a password is hashed in between, and on a cluster store they may run on
 * two registry replicas). A call that then finds a clashing alias backs its write out and fails as
 * the check would have, so two clashing aliases are never both kept; both calls may back out (a
 * retry then succeeds).
 */
export async function keepAliasesIfStillFree(ctx: ResourceContext, device: DeviceRecord, backOut: () => Promise<unknown>): Promise<void> {
  try {
    await assertAliasesFree(ctx, device.registry_id, device.id, device.topic_aliases);
  } catch (error) {
    await backOut();
    throw error;
  }
}

/** Backs out an update's aliases: the previous ones again, unless the device has other aliases by now. */
export async function restoreAliases(ctx: ResourceContext, updated: DeviceRecord, previous: Record<string, string>): Promise<void> {
  const latest = await ctx.store.getDevice(updated.id);
  if (!latest || comparable(latest.topic_aliases) !== comparable(updated.topic_aliases)) return;
  await ctx.store.updateDevice({ ...latest, topic_aliases: previous });
  ctx.events.revoke({ kind: 'DEVICE_ALIASES_CHANGED', entity_id: updated.id, registry_id: updated.registry_id, credential_id: '' });
}
