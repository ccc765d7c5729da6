// Which devices of a dump one import must not send at the same time (see ordered-pool.ts): those
// whose server-side checks would each miss the other: the same name, certificate, password ID or
// clashing aliases (docs/yandex-behaviour.md §3.6).
import { parseCertificate } from '../registry/credentials/certificates.js';
import { aliasesOverlap } from '../registry/validation/topic-aliases.js';
import type { DeviceSnapshot } from './yandex-snapshot.js';

/** What two devices of one registry must not share for both to be imported: see devicesClash. */
export interface DeviceClaims {
  snapshot: DeviceSnapshot;
  aliases: string[];
  /** Its name, certificates (by SHA-1) and password IDs. */
  keys: Set<string>;
}

export function deviceClaims(snapshot: DeviceSnapshot): DeviceClaims {
  const { device, credentials } = snapshot;
  const keys = new Set([`device ${device.id}`, `name ${device.name}`]);
  for (const { certificate_data } of credentials.certificates) keys.add(`certificate ${certificateKey(certificate_data)}`);
  for (const password of credentials.passwords) keys.add(`password ${password.id}`);
  return { snapshot, aliases: Object.keys(device.topic_aliases), keys };
}

/** The certificate's SHA-1 as the server computes it (a dump may lack the fingerprint field); unparsable text stands for itself. */
function certificateKey(pem: string): string {
  try {
    return parseCertificate('certificate', pem).fingerprint;
  } catch {
    return pem;
  }
}

/**
 * Two devices one import must not send at once: the second's checks would not see the first, so
 * both could be written, or both backed out, instead of the first kept and the second refused.
 */
export function devicesClash(earlier: DeviceClaims, later: DeviceClaims): boolean {
  for (const key of later.keys) if (earlier.keys.has(key)) return true;
  return later.aliases.some((alias) => earlier.aliases.some((other) => aliasesOverlap(alias, other)));
}
