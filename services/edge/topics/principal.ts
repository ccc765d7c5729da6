// Who an MQTT connection acts as (spec §2.2), as the edge needs it for local ACL decisions.
export interface DeviceAliasEntry {
  device_id: string;
  alias: string;
  topic_prefix: string;
}

export type Principal =
  | { kind: 'device'; id: string; registryId: string; aliases: Record<string, string> }
  | { kind: 'registry'; id: string; registryId: string; aliases: DeviceAliasEntry[] }
  | { kind: 'broker'; id: string };
