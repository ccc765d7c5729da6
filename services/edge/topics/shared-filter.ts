// Shared subscriptions, `$share/<group>/<filter>` (the MQTT 5 form, which EMQX, HiveMQ and
// Mosquitto also take from 3.1.1 clients): each message matching the filter goes to one member of
// the group. Pure: the form's syntax and the key the edge and the bus know a group by.

export const SHARE_PREFIX = '$share/';

export type SharedFilter = { group: string; filter: string } | { error: string };

/** Splits `$share/<group>/<filter>`; undefined when `filter` is not a shared subscription. */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  const group = slash < 0 ? rest : rest.slice(0, slash);
  // [MQTT5 4.8.2]: a share name of at least one character, without "/", "+" or "#", then a filter.
  if (group.length === 0 || /[+#]/.test(group)) return { error: 'a shared subscription needs a group name without "+" or "#"' };
  if (slash < 0 || slash === rest.length - 1) return { error: 'a shared subscription needs a filter after its group name' };
  return { group, filter: rest.slice(slash + 1) };
}

/**
 * The key of a group in the internal namespace: `$share/<group>/<internal filter>`. No published
 * topic starts with `$share/`, so the key is an inert filter to aedes, and the route table tells
 * it from a plain filter by its prefix. Groups with one name and different filters are different
 * groups, as in MQTT 5.
 */
export function sharedKey(group: string, internalFilter: string): string {
  return `${SHARE_PREFIX}${group}/${internalFilter}`;
}

/** The group and internal filter of a key made by `sharedKey`; undefined for a plain filter. */
export function parseSharedKey(key: string): { group: string; filter: string } | undefined {
  const parsed = parseSharedFilter(key);
  return parsed && 'group' in parsed ? parsed : undefined;
}

export function isSharedKey(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}
