// A registry of one registry, one device and one broker, answering the edge as the registry link
// contract says (services/contracts/registry-link.ts), in memory: the MQTT fuzz target needs the
// edge's real hooks without a registry process or a socket.
import type { AuthOutcome, OwnerKind, Principal } from '../../../services/contracts/principal.js';
import type { RegistryLink } from '../../../services/contracts/registry-link.js';
import { IDS } from './topic-inputs.js';

export const PASSWORD = 'Fuzz-Passw0rd-0001';
/** The device's client certificate (SHA-1 fingerprint, as TLS reports it). */
export const DEVICE_CERTIFICATE = 'ab'.repeat(20);

/**
 * The device's aliases, as the registry's validation allows them: one without a trailing slash
 * (prefix substitution may glue the client's level onto the target's), and one whose target is
 * very long (the validation bounds alias names, not targets).
 */
export const DEVICE_ALIASES: Record<string, string> = {
  'home/': `$devices/${IDS.device}/events/`,
  'glued/': `$devices/${IDS.device}/events/x`,
  cmd: `$devices/${IDS.device}/commands`,
  'long/': `$devices/${IDS.device}/events/${'y'.repeat(70_000)}`,
};

const base = { folder_id: 'fuzz-folder', topic_aliases: {}, registry_aliases: [] };
const PRINCIPALS: Principal[] = [
  {
    ...base,
    kind: 'registry',
    id: IDS.registry,
    registry_id: IDS.registry,
    credential_id: 'password-registry',
    registry_aliases: Object.entries(DEVICE_ALIASES).map(([alias, topic_prefix]) => ({ device_id: IDS.device, alias, topic_prefix })),
  },
  { ...base, kind: 'device', id: IDS.device, registry_id: IDS.registry, credential_id: 'password-device', topic_aliases: DEVICE_ALIASES },
  { ...base, kind: 'broker', id: IDS.broker, registry_id: '', credential_id: 'password-broker' },
];
const byId = new Map(PRINCIPALS.map((principal) => [principal.id, principal]));

const ok = (principal: Principal): AuthOutcome => ({ result: 'OK', principal });

export function inMemoryRegistryLink(): RegistryLink {
  return {
    async authenticate({ username, password, certificate_fingerprint }) {
      // A password, when present, decides (docs/yandex-behaviour.md §2.5).
      if (password !== undefined) {
        const principal = byId.get(username);
        if (!principal) return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'unknown username' };
        return password.toString() === PASSWORD ? ok(principal) : { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'wrong password' };
      }
      if (certificate_fingerprint === DEVICE_CERTIFICATE) return ok({ ...byId.get(IDS.device)!, credential_id: DEVICE_CERTIFICATE });
      if (certificate_fingerprint) return { result: 'NOT_AUTHORIZED', reason: 'unknown certificate' };
      return { result: 'NOT_AUTHORIZED', reason: 'no password and no client certificate' };
    },
    async registryExports() {
      return [];
    },
    async sourceTriggers() {
      return [];
    },
    async lookupDevice(deviceId) {
      return deviceId === IDS.device ? { registry_id: IDS.registry } : undefined;
    },
    async checkSessions(sessions) {
      return sessions.map(({ kind, id }) => {
        const principal = byId.get(id);
        return principal?.kind === (kind as OwnerKind) ? ok(principal) : { result: 'NOT_AUTHORIZED', reason: 'no longer exists' };
      });
    },
    async reportActivity() {},
    async writeLogs() {},
    // Nothing is ever revoked: the feed is live and empty.
    follow(_after, handler) {
      handler.ready({ epoch: 'fuzz', seq: 0 });
      return () => undefined;
    },
  };
}
