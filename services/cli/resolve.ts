// Resources are addressed like in yc: a positional NAME|ID, or --id / --name (and for devices
// --registry-id / --registry-name, needed only when the name is not unique in the folder). A
// positional value is tried as an ID first, then as a name.
import { status, type ServiceError } from '@grpc/grpc-js';
import type { Api } from './connection.js';

export interface Selector {
  positional?: string;
  id?: string;
  name?: string;
}

export async function registryId(api: Api, folderId: string, selector: Selector, what = 'registry'): Promise<string> {
  if (selector.id) return selector.id;
  const nameOrId = selector.name ?? selector.positional;
  if (!nameOrId)
    throw new Error(what === 'registry' ? 'registry: pass NAME|ID, --id or --name' : `${what}: pass --registry-id or --registry-name`);
  if (!selector.name && (await exists(() => api.registries.get({ registry_id: nameOrId })))) return nameOrId;
  const registry = await api.registries.getByName({ folder_id: folderId, registry_name: nameOrId });
  return registry.id;
}

export async function deviceId(api: Api, folderId: string, device: Selector, registry: { id?: string; name?: string }): Promise<string> {
  if (device.id) return device.id;
  const nameOrId = device.name ?? device.positional;
  if (!nameOrId) throw new Error('device: pass NAME|ID, --id or --name');
  if (!device.name && (await exists(() => api.devices.get({ device_id: nameOrId, device_view: 0 })))) return nameOrId;
  if (!registry.id && !registry.name) return deviceInFolder(api, folderId, nameOrId);
  const registryIdValue = await registryId(api, folderId, { id: registry.id, name: registry.name }, 'device');
  const found = await api.devices.getByName({ registry_id: registryIdValue, device_name: nameOrId, device_view: 0 });
  return found.id;
}

/** As yc: a device name alone names the folder's one device of that name (names are unique per registry only). */
async function deviceInFolder(api: Api, folderId: string, name: string): Promise<string> {
  const matches: Array<{ id: string; registry_id: string }> = [];
  let page_token = '';
  do {
    const page = await api.devices.list({ id: { $case: 'folder_id', value: folderId }, page_size: 1000, page_token, device_view: 0 });
    matches.push(...page.devices.filter((device) => device.name === name));
    page_token = page.next_page_token;
  } while (page_token);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new Error(`device ${name} not found in folder ${folderId}`);
  const registries = matches.map((device) => device.registry_id).join(', ');
  throw new Error(
    `device: ${matches.length} devices are named ${name} in folder ${folderId} (registries ${registries}); pass --registry-id or --registry-name`,
  );
}

export async function brokerId(api: Api, folderId: string, selector: Selector): Promise<string> {
  if (selector.id) return selector.id;
  const nameOrId = selector.name ?? selector.positional;
  if (!nameOrId) throw new Error('broker: pass NAME|ID, --id or --name');
  if (!selector.name && (await exists(() => api.brokers.get({ broker_id: nameOrId })))) return nameOrId;
  // BrokerService has no GetByName (as in Yandex): page through the folder.
  let page_token = '';
  do {
    const page = await api.brokers.list({ folder_id: folderId, page_size: 1000, page_token });
    const match = page.brokers.find((broker) => broker.name === nameOrId);
    if (match) return match.id;
    page_token = page.next_page_token;
  } while (page_token);
  throw new Error(`broker ${nameOrId} not found in folder ${folderId}`);
}

async function exists(lookup: () => Promise<unknown>): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (error) {
    const code = (error as ServiceError).code;
    if (code === status.NOT_FOUND || code === status.INVALID_ARGUMENT) return false;
    throw error;
  }
}
