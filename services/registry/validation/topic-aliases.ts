// Topic alias rules (docs/yandex-behaviour.md §3.6): an alias is a string prefix standing for a prefix of the device's
// own topic tree; `{id}` in a target is the device's ID; at most 5 per device; within a registry no
// alias may be a string prefix of another, so every topic resolves through at most one alias.
import { FieldError } from './field-error.js';

const FIELD = 'topic_aliases';
export const MAX_ALIASES_PER_DEVICE = 5;
const MAX_ALIAS_LENGTH = 1024;

export function normalizeTopicAliases(deviceId: string, aliases: Record<string, string>): Record<string, string> {
  const entries = Object.entries(aliases);
  if (entries.length > MAX_ALIASES_PER_DEVICE) throw new FieldError(FIELD, `at most ${MAX_ALIASES_PER_DEVICE} aliases per device`);
  const own = `$devices/${deviceId}`;
  const normalized: Record<string, string> = {};
  for (const [alias, rawTarget] of entries) {
    if (!alias) throw new FieldError(FIELD, 'an alias must not be empty');
    if (alias.length > MAX_ALIAS_LENGTH)
      throw new FieldError(FIELD, `alias "${alias.slice(0, 40)}…" is longer than ${MAX_ALIAS_LENGTH} characters`);
    if (/[+#\0]/.test(alias) || alias.startsWith('$'))
      throw new FieldError(FIELD, `alias "${alias}" must not contain +, # or NUL nor start with $`);
    const target = rawTarget.replaceAll('{id}', deviceId);
    if (/[+#\0]/.test(target)) throw new FieldError(FIELD, `target of "${alias}" must not contain wildcards`);
    if (target !== own && !target.startsWith(`${own}/`)) {
      throw new FieldError(FIELD, `target of "${alias}" must be a topic of this device ($devices/${deviceId}[/…]), got "${target}"`);
    }
    normalized[alias] = target;
  }
  const keys = Object.keys(normalized);
  for (const alias of keys) {
    const clash = keys.find((other) => other !== alias && other.startsWith(alias));
    if (clash) throw new FieldError(FIELD, `alias "${alias}" is a prefix of alias "${clash}"`);
  }
  return normalized;
}

/** Whether two aliases break the rule: one is a string prefix of the other (or they are equal). */
export function aliasesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

export function assertNoAliasPrefixConflicts(
  deviceId: string,
  aliases: Record<string, string>,
  otherDevicesAliases: Array<{ device_id: string; alias: string }>,
): void {
  for (const alias of Object.keys(aliases)) {
    for (const other of otherDevicesAliases) {
      if (other.device_id === deviceId) continue;
      if (aliasesOverlap(alias, other.alias)) {
        throw new FieldError(
          FIELD,
          `alias "${alias}" conflicts with alias "${other.alias}" of device ${other.device_id} (one is a prefix of the other)`,
        );
      }
    }
  }
}
