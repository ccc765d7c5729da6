// Registry lifecycle rules (docs/yandex-behaviour.md §1.3, §1.7, §1.8): validation, quotas, disable/enable, and the
// revocations that must reach the edges when a registry stops accepting connections.
import { validateId, validateName, validateResourceFields } from '../validation/resource-fields.js';
import { notFound } from '../store/contract.js';
import type { LogOptionsRecord, RegistryRecord } from '../store/records.js';
import type { ResourceContext } from './context.js';
import { checkQuota, keepWithinQuota } from './quota.js';
import { prepareInitialCredentials } from './credentials.js';
import { logOptionsAfter } from './log-options.js';

export interface RegistryFields {
  name: string;
  description: string;
  labels: Record<string, string>;
  /** null: back to the default (an Update whose mask names them without a value). */
  log_options?: LogOptionsRecord | null;
}

export interface CreateRegistryInput extends RegistryFields {
  folder_id: string;
  certificates: string[];
  password?: string;
}

export async function createRegistry(ctx: ResourceContext, input: CreateRegistryInput): Promise<RegistryRecord> {
  validateId('folder_id', input.folder_id);
  validateResourceFields(input, { nameRequired: true });
  const logOptions = logOptionsAfter(input.log_options ?? null, undefined, input.folder_id);
  const inFolder = () => ctx.store.countRegistries(input.folder_id);
  await checkQuota('registries', ctx.quotas.registries_per_folder, inFolder);
  const id = ctx.newId();
  const registry: RegistryRecord = {
    id,
    folder_id: input.folder_id,
    created_at: ctx.now(),
    name: input.name,
    description: input.description,
    labels: input.labels,
    status: 'ACTIVE',
    log_options: logOptions,
  };
  const credentials = await prepareInitialCredentials(ctx, { kind: 'registry', id }, input);
  await ctx.store.createRegistry(registry, credentials);
  await keepWithinQuota('registries', ctx.quotas.registries_per_folder, inFolder, () => deleteRegistry(ctx, id));
  return registry;
}

export async function getRegistry(ctx: ResourceContext, id: string): Promise<RegistryRecord> {
  validateId('registry_id', id);
  const registry = await ctx.store.getRegistry(id);
  if (!registry) throw notFound(`registry ${id} not found`);
  return registry;
}

export async function getRegistryByName(ctx: ResourceContext, folderId: string, name: string): Promise<RegistryRecord> {
  validateId('folder_id', folderId);
  validateName('registry_name', name, { required: true });
  const registry = await ctx.store.getRegistryByName(folderId, name);
  if (!registry) throw notFound(`registry with name ${name} not found in folder ${folderId}`);
  return registry;
}

export async function updateRegistry(ctx: ResourceContext, id: string, patch: Partial<RegistryFields>): Promise<RegistryRecord> {
  const updated = patchedWithLogOptions(await getRegistry(ctx, id), patch);
  await ctx.store.updateRegistry(updated);
  return updated;
}

export async function deleteRegistry(ctx: ResourceContext, id: string): Promise<RegistryRecord> {
  const registry = await getRegistry(ctx, id);
  await ctx.store.deleteRegistry(id);
  ctx.events.revoke({ kind: 'REGISTRY_DELETED', entity_id: id, registry_id: id, credential_id: '' });
  return registry;
}

export async function setRegistryEnabled(ctx: ResourceContext, id: string, enabled: boolean): Promise<RegistryRecord> {
  const current = await getRegistry(ctx, id);
  const updated: RegistryRecord = { ...current, status: enabled ? 'ACTIVE' : 'DISABLED' };
  await ctx.store.updateRegistry(updated);
  if (!enabled) ctx.events.revoke({ kind: 'REGISTRY_DISABLED', entity_id: id, registry_id: id, credential_id: '' });
  return updated;
}

/** Update patches carry only the fields named by the update mask. */
export function definedOnly<T extends object>(patch: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * A registry or broker after an Update: the fields the patch names, its LogOptions as
 * logOptionsAfter decides, and the result checked.
 */
export function patchedWithLogOptions<R extends RegistryFields & { folder_id: string; log_options?: LogOptionsRecord }>(
  current: R,
  patch: Partial<RegistryFields>,
): R {
  const { log_options, ...fields } = definedOnly(patch);
  const updated: R = { ...current, ...fields, log_options: logOptionsAfter(log_options, current.log_options, current.folder_id) };
  validateResourceFields(updated, { nameRequired: false });
  return updated;
}
