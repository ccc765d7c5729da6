// Principals and topics the subjects share. IDs have the length of Yandex's (20 characters), since
// the functions under test split, compare and copy them.
import type { DeviceAlias, Principal } from '../../services/contracts/principal.js';

export const REGISTRY_ID = 'arebenchregistry0001';
export const BROKER_ID = 'arebenchbroker000001';

/**
 * Distinct topics a "cold" case cycles through: many more than the 256 decisions a TopicPolicy
 * (topics/acl.ts) or routes a session (topics/routes.ts) remember, so every call decides afresh.
 */
export const COLD_TOPICS = 4096;
/** Topics a "warm" case cycles through: a device's usual handful, all remembered. */
export const WARM_TOPICS = 8;

export function deviceId(index: number): string {
  return `arebenchdevice${String(index).padStart(6, '0')}`;
}

/** `device0042/`: fixed width and a trailing slash, so that no alias is a prefix of another (as the registry requires). */
export function aliasOf(index: number): string {
  return `device${String(index).padStart(4, '0')}/`;
}

/** The first `count` topics (or filters) of a family, prebuilt so that building them is not measured. */
export function topics(count: number, topic: (index: number) => string): string[] {
  return Array.from({ length: count }, (_, index) => topic(index));
}

const base = { folder_id: 'benchfolder', credential_id: 'benchcredential', topic_aliases: {}, registry_aliases: [] };

/** Device 0 of the registry, with two aliases of its own. */
export function devicePrincipal(): Principal {
  const id = deviceId(0);
  return {
    ...base,
    kind: 'device',
    id,
    registry_id: REGISTRY_ID,
    topic_aliases: { 'home/kitchen/': `$devices/${id}/events/kitchen/`, 'my/commands': `$devices/${id}/commands` },
  };
}

/** One alias per device, each naming the device's whole tree: `device0042/` → `$devices/<id 42>/`. */
export function deviceAliases(count: number): DeviceAlias[] {
  return Array.from({ length: count }, (_, index) => ({
    device_id: deviceId(index),
    alias: aliasOf(index),
    topic_prefix: `$devices/${deviceId(index)}/`,
  }));
}

export function registryPrincipal(aliases: number): Principal {
  return { ...base, kind: 'registry', id: REGISTRY_ID, registry_id: REGISTRY_ID, registry_aliases: deviceAliases(aliases) };
}

export function brokerPrincipal(): Principal {
  return { ...base, kind: 'broker', id: BROKER_ID, registry_id: '' };
}
