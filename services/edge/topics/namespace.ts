// Canonical Yandex topics ↔ the edge's internal topics. Every registry and broker gets its own
// internal subtree, so MQTT wildcards (`$devices/+/events`) can never reach another tenant, and
// the bus routes by registry for free:
//   $devices/X/…      → $iot/<R>/devices/X/…     (R = the principal's registry)
//   $registries/R/…   → $iot/<R>/registry/…
//   $monitoring/X/json → $iot/<R>/monitoring/X/json
//   <broker topic>    → $broker/<B>/<topic>
export const INTERNAL_ROOT = '$iot';
export const BROKER_ROOT = '$broker';
const INTERNAL_PREFIX = `${INTERNAL_ROOT}/`;

export type Root = 'devices' | 'registries' | 'monitoring';

export interface CanonicalParts {
  root: Root;
  /** Device ID, registry ID, or a wildcard level in filters. */
  id: string;
  /** events|state|commands|config for devices/registries, json for monitoring (or a wildcard). */
  kind: string | undefined;
  /** Levels after the kind ('' when none). */
  rest: string;
}

const ROOTS: Record<string, Root> = { $devices: 'devices', $registries: 'registries', $monitoring: 'monitoring' };

/** Splits a canonical topic or filter; undefined when it is not under a Yandex root. */
export function parseCanonical(topic: string): CanonicalParts | undefined {
  const levels = topic.split('/');
  const root = ROOTS[levels[0]!];
  if (!root) return undefined;
  return { root, id: levels[1] ?? '', kind: levels[2], rest: levels.slice(3).join('/') };
}

export function toInternal(registryId: string, parts: CanonicalParts, canonical: string): string {
  // Level by level, so an empty level (`$devices/D/`) survives the trip back (toCanonical).
  const suffix = canonical
    .split('/')
    .slice(2)
    .map((level) => `/${level}`)
    .join('');
  switch (parts.root) {
    case 'devices':
      return `${INTERNAL_ROOT}/${registryId}/devices/${parts.id}${suffix}`;
    case 'monitoring':
      return `${INTERNAL_ROOT}/${registryId}/monitoring/${parts.id}${suffix}`;
    case 'registries':
      return `${INTERNAL_ROOT}/${registryId}/registry${parts.id === '#' ? '/#' : suffix}`;
  }
}

/** The internal topic of a device's `$monitoring/<device>/json`, which the edge itself publishes. */
export function monitoringInternal(registryId: string, deviceId: string): string {
  return `${INTERNAL_ROOT}/${registryId}/monitoring/${deviceId}/json`;
}

/**
 * `$iot/<R>/…` → canonical `$devices|$registries|$monitoring/…`. Runs for deliveries a subscriber's
 * memo has not seen (a registry reading thousands of devices), so it slices instead of splitting.
 */
export function toCanonical(internal: string): string | undefined {
  if (!internal.startsWith(INTERNAL_PREFIX)) return undefined;
  const registryEnd = internal.indexOf('/', INTERNAL_PREFIX.length);
  if (registryEnd < 0) return undefined;
  const kindEnd = internal.indexOf('/', registryEnd + 1);
  const kind = kindEnd < 0 ? internal.slice(registryEnd + 1) : internal.slice(registryEnd + 1, kindEnd);
  // The levels after the kind, with their leading `/` ('' when none).
  const rest = kindEnd < 0 ? '' : internal.slice(kindEnd);
  switch (kind) {
    case 'devices':
      return `$devices${rest}`;
    case 'monitoring':
      return `$monitoring${rest}`;
    case 'registry':
      return `$registries/${internal.slice(INTERNAL_PREFIX.length, registryEnd)}${rest}`;
    default:
      return undefined;
  }
}

/** A topic of the edge's internal namespaces (`$iot/<R>/…` or `$broker/<B>/…`). */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith(`${INTERNAL_ROOT}/`) || topic.startsWith(`${BROKER_ROOT}/`);
}

export function brokerInternal(brokerId: string, topic: string): string {
  return `${BROKER_ROOT}/${brokerId}/${topic}`;
}

export function brokerExternal(brokerId: string, internal: string): string | undefined {
  const prefix = `${BROKER_ROOT}/${brokerId}/`;
  return internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined;
}

/** Permanent topics (docs/yandex-behaviour.md §3.4): state and config, with their subtopics. */
export function isPermanent(parts: CanonicalParts): boolean {
  return parts.root !== 'monitoring' && (parts.kind === 'state' || parts.kind === 'config');
}
