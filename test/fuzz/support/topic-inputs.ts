// Topics, filters and principals for the topic, alias and ACL targets. Random strings alone would
// almost never hit a Yandex topic, so most inputs are assembled from the levels that matter (roots,
// the principal's own IDs and others', kinds, wildcards, `$me`) mixed with arbitrary levels; the
// rest are arbitrary strings (any code point, NUL, '/', very long, many levels).
import fc from 'fast-check';
import type { DeviceAlias, Principal } from '../../../services/contracts/principal.js';
import { assertNoAliasPrefixConflicts, normalizeTopicAliases } from '../../../services/registry/validation/topic-aliases.js';

/** Our registry and device, another device of the registry, another registry, a broker. */
export const IDS = {
  registry: 'arefuzzregistry00001',
  device: 'arefuzzdevice0000001',
  otherDevice: 'arefuzzdevice0000002',
  otherRegistry: 'arefuzzregistry00002',
  broker: 'a36fuzzbroker0000001',
};

/** IDs as the registry issues and validates them (resource-fields.ts). */
export const anyId = fc.oneof(fc.constantFrom(...Object.values(IDS)), fc.stringMatching(/^[a-zA-Z0-9_-]{1,50}$/));

const LEVELS = [
  '',
  '+',
  '#',
  '$devices',
  '$registries',
  '$monitoring',
  '$me',
  '$iot',
  '$broker',
  'events',
  'state',
  'commands',
  'config',
  'json',
  'device',
  'registry',
  'monitoring',
  'devices',
  'home',
  'a',
  ...Object.values(IDS),
];
const level = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...LEVELS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const levels = (max: number) => fc.array(level, { minLength: 1, maxLength: max }).map((parts) => parts.join('/'));

/** Shaped like a Yandex topic: root, an ID (own, another, a wildcard), a kind, maybe more levels. */
const yandexTopic = fc
  .tuple(
    fc.constantFrom('$devices/', '$registries/', '$monitoring/', '$me/device/', '$me/registry/', '$me/monitoring/'),
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...Object.values(IDS), '+', '#') }, { weight: 1, arbitrary: level }),
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('events', 'state', 'commands', 'config', 'json', '+', '#') },
      { weight: 1, arbitrary: level },
    ),
    fc.option(levels(3)),
  )
  .map(([root, id, kind, rest]) => (root.startsWith('$me/') ? root : `${root}${id}/`) + kind + (rest === null ? '' : `/${rest}`));

/** Topics and filters: Yandex-shaped, assembled levels, arbitrary strings, very long ones and very deep ones. */
export const anyTopic: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: yandexTopic },
  { weight: 8, arbitrary: levels(7) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(levels(4), fc.integer({ min: 1020, max: 1100 }))
      .map(([start, length]) => start + 'x'.repeat(length - start.length)),
  },
  { weight: 1, arbitrary: fc.tuple(levels(4), fc.integer({ min: 10, max: 600 })).map(([start, depth]) => start + '/l'.repeat(depth)) },
);

/** Alias names and targets: mostly well-formed (a prefix of the device's own tree), some anything. */
const aliasName = fc.oneof(
  fc.constantFrom('home/', 'home', 'my/cmd', 'a', 'h', 'x/y/', '$me/device/'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
);
const aliasTarget = (deviceId: string) =>
  fc.oneof(
    fc
      .constantFrom('events', 'events/', 'events/kitchen/', 'state', 'state/', 'commands', 'commands/', 'config/x', '')
      .map((rest) => `$devices/${deviceId}${rest ? `/${rest}` : ''}`),
    anyTopic,
  );
const aliasMap = (deviceId: string) => fc.dictionary(aliasName, aliasTarget(deviceId), { maxKeys: 6 });

/** The aliases the registry would store: those of `raw` that pass its validation, or none. */
function validated(deviceId: string, raw: Record<string, string>): Record<string, string> {
  try {
    return normalizeTopicAliases(deviceId, raw);
  } catch {
    return {};
  }
}

/** Device aliases of a registry with no alias a prefix of another device's (the registry's rule). */
function registryAliases(devices: Array<[string, Record<string, string>]>): DeviceAlias[] {
  const kept: DeviceAlias[] = [];
  for (const [deviceId, aliases] of devices) {
    try {
      assertNoAliasPrefixConflicts(deviceId, aliases, kept);
    } catch {
      continue;
    }
    for (const [alias, topic_prefix] of Object.entries(aliases)) kept.push({ device_id: deviceId, alias, topic_prefix });
  }
  return kept;
}

const base = { folder_id: 'fuzz-folder', credential_id: 'fuzz-credential' };

/**
 * Principals of every kind. `validAliases` keeps only aliases the registry accepts (the rules the
 * code relies on); otherwise aliases are arbitrary, and the policy must still never throw.
 */
export function anyPrincipal(options: { validAliases: boolean }): fc.Arbitrary<Principal> {
  const device = aliasMap(IDS.device).map(
    (raw): Principal => ({
      ...base,
      kind: 'device',
      id: IDS.device,
      registry_id: IDS.registry,
      registry_aliases: [],
      topic_aliases: options.validAliases ? validated(IDS.device, raw) : raw,
    }),
  );
  const registry = fc.tuple(aliasMap(IDS.device), aliasMap(IDS.otherDevice)).map(([own, other]): Principal => {
    const devices: Array<[string, Record<string, string>]> = [
      [IDS.device, own],
      [IDS.otherDevice, other],
    ];
    const aliases = options.validAliases
      ? registryAliases(devices.map(([id, raw]) => [id, validated(id, raw)]))
      : devices.flatMap(([device_id, raw]) => Object.entries(raw).map(([alias, topic_prefix]) => ({ device_id, alias, topic_prefix })));
    return { ...base, kind: 'registry', id: IDS.registry, registry_id: IDS.registry, topic_aliases: {}, registry_aliases: aliases };
  });
  const broker = fc.constant<Principal>({
    ...base,
    kind: 'broker',
    id: IDS.broker,
    registry_id: '',
    topic_aliases: {},
    registry_aliases: [],
  });
  return fc.oneof(device, registry, broker);
}
