// Who an MQTT connection acts as (spec §2.2), as the edge needs it for local ACL decisions.
import type { AuthOutcome } from '../registry-link/link.js';

type AuthenticatedPrincipal = Extract<AuthOutcome, { result: 'OK' }>['principal'];

export interface DeviceAliasEntry {
  device_id: string;
  alias: string;
  topic_prefix: string;
}

export type Principal =
  | { kind: 'device'; id: string; registryId: string; aliases: Record<string, string> }
  | { kind: 'registry'; id: string; registryId: string; aliases: DeviceAliasEntry[] }
  | { kind: 'broker'; id: string };

/** The edge's form of a principal the registry answered with. */
export function principalFromAuth(principal: AuthenticatedPrincipal): Principal {
  if (principal.kind === 'device') return { kind: 'device', id: principal.id, registryId: principal.registry_id, aliases: principal.topic_aliases };
  if (principal.kind === 'registry') return { kind: 'registry', id: principal.id, registryId: principal.registry_id, aliases: principal.registry_aliases };
  return { kind: 'broker', id: principal.id };
}

/** Same entity with the same aliases: the policy fixed at CONNECT still holds. */
export function samePolicy(a: Principal, b: Principal): boolean {
  return canonical(a) === canonical(b);
}

function canonical(principal: Principal): string {
  if (principal.kind === 'broker') return JSON.stringify(principal);
  const aliases = Array.isArray(principal.aliases)
    ? principal.aliases.map((entry) => `${entry.device_id}\0${entry.alias}\0${entry.topic_prefix}`).sort()
    : Object.entries(principal.aliases).map(([alias, prefix]) => `${alias}\0${prefix}`).sort();
  return JSON.stringify([principal.kind, principal.id, principal.registryId, aliases]);
}
