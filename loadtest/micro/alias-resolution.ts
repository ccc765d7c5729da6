// Subject `aliases`: resolving a topic through a principal's aliases (services/edge/topics/aliases.ts,
// a binary search over them) with 10 and 1,000 aliases, `$me`, and the name a delivery gets back;
// then the translations between canonical and internal topics (services/edge/topics/namespace.ts)
// that every publish and delivery makes.
import { AliasTable } from '../../services/edge/topics/aliases.js';
import { parseCanonical, toCanonical, toInternal } from '../../services/edge/topics/namespace.js';
import type { Principal } from '../../services/contracts/principal.js';
import type { Case } from './measure.js';
import { aliasOf, deviceId, devicePrincipal, REGISTRY_ID, registryPrincipal, topics } from './fixtures.js';

const TABLE_SIZES = [10, 1000];

export function aliasResolutionCases(): Case[] {
  const device = deviceId(0);
  const canonical = `$devices/${device}/events/temperature`;
  return [
    ...TABLE_SIZES.flatMap((size) => {
      const registry = registryPrincipal(size);
      const label = `${size.toLocaleString('en-US')} aliases`;
      return [
        {
          name: `resolve through an alias, ${label}`,
          run: resolving(
            registry,
            topics(size, (index) => `${aliasOf(index)}events/temperature`),
          ),
        },
        {
          name: `resolve, no alias matches, ${label}`,
          run: resolving(
            registry,
            topics(size, (index) => `$devices/${deviceId(index)}/events/temperature`),
          ),
        },
      ];
    }),
    { name: 'resolve $me/device/… (a device)', run: resolving(devicePrincipal(), ['$me/device/events/temperature']) },
    { name: "an alias subscription's name for a delivery (toClient)", run: namingDeliveries() },
    { name: 'canonical → internal (parseCanonical + toInternal)', run: (n) => internalizing(canonical, n) },
    {
      name: 'internal → canonical (toCanonical)',
      run: (n) => canonicalizing(`$iot/${REGISTRY_ID}/devices/${device}/events/temperature`, n),
    },
  ];
}

function resolving(principal: Principal, names: string[]): Case['run'] {
  const table = AliasTable.for(principal);
  return (n) => {
    let viaAlias = 0;
    for (let i = 0; i < n; i++) if (table.resolve(principal, names[i % names.length]!).viaAlias) viaAlias++;
    return viaAlias;
  };
}

function namingDeliveries(): Case['run'] {
  const registry = registryPrincipal(1000);
  const { toClient } = AliasTable.for(registry).resolve(registry, `${aliasOf(42)}events/#`);
  const delivered = `$devices/${deviceId(42)}/events/kitchen/temperature`;
  return (n) => {
    let length = 0;
    for (let i = 0; i < n; i++) length += toClient(delivered).length;
    return length;
  };
}

function internalizing(canonical: string, n: number): number {
  let length = 0;
  for (let i = 0; i < n; i++) length += toInternal(REGISTRY_ID, parseCanonical(canonical)!, canonical).length;
  return length;
}

function canonicalizing(internal: string, n: number): number {
  let length = 0;
  for (let i = 0; i < n; i++) length += toCanonical(internal)!.length;
  return length;
}
