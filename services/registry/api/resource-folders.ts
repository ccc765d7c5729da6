// The folder an access check is made on comes from the stored resource, never from the request: a
// device's folder is its registry's, an operation's that of the resource it acted on.
import { notFound } from '../store/contract.js';
import type { DeviceRecord, OperationRecord } from '../store/records.js';
import type { ResourceContext } from '../resources/context.js';
import type { OwnerKind } from '../../contracts/principal.js';

export async function deviceFolder(ctx: ResourceContext, device: DeviceRecord): Promise<string> {
  const folderId = await ctx.registryFolders.of(device.registry_id);
  // A registry is deleted only when empty, so this is a device caught mid-delete.
  if (folderId === undefined) throw notFound(`device ${device.id} not found`);
  return folderId;
}

/** The folder of a registry, device or broker; undefined once it is gone. */
export async function ownerFolder(ctx: ResourceContext, kind: OwnerKind, id: string): Promise<string | undefined> {
  if (kind === 'registry') return (await ctx.store.getRegistry(id))?.folder_id;
  if (kind === 'broker') return (await ctx.store.getBroker(id))?.folder_id;
  const device = await ctx.store.getDevice(id);
  return device && ctx.registryFolders.of(device.registry_id);
}

/**
 * The folder of the registry, device or broker an operation acted on; once that resource is gone,
 * the folder its Delete recorded (the SDKs wait for a Delete's operation as for any other), else
 * undefined (visible to bootstrap admins only).
 */
export async function operationFolder(ctx: ResourceContext, operation: OperationRecord): Promise<string | undefined> {
  const id = operation.resource_id;
  return (
    (await ownerFolder(ctx, 'registry', id)) ??
    (await ownerFolder(ctx, 'broker', id)) ??
    (await ownerFolder(ctx, 'device', id)) ??
    operation.folder_id
  );
}
