// What `iotcore import yandex` reads from Yandex IoT Core, whichever way it was read (live API or a
// `yc --format json` dump): Yandex's own messages, with credentials as Yandex exposes them
// (certificates in full, passwords only as IDs).
import type { Registry } from '../generated/yandex/cloud/iot/devices/v1/registry.js';
import type { Device } from '../generated/yandex/cloud/iot/devices/v1/device.js';
import type { Broker } from '../generated/yandex/cloud/iot/broker/v1/broker.js';
import type { DataStreamExport } from '../generated/yandex/cloud/iot/devices/v1/registry.js';

export interface CertificateSnapshot {
  fingerprint: string;
  certificate_data: string;
  created_at?: Date;
}

export interface PasswordIdSnapshot {
  id: string;
  created_at?: Date;
}

export interface CredentialSnapshot {
  certificates: CertificateSnapshot[];
  passwords: PasswordIdSnapshot[];
}

export interface DeviceSnapshot {
  device: Device;
  credentials: CredentialSnapshot;
}

export interface RegistrySnapshot {
  registry: Registry;
  credentials: CredentialSnapshot;
  devices: DeviceSnapshot[];
  /** Its data stream exports (`yc iot registry yds-export list`). */
  exports: DataStreamExport[];
}

export interface BrokerSnapshot {
  broker: Broker;
  credentials: CredentialSnapshot;
}

export interface FolderSnapshot {
  registries: RegistrySnapshot[];
  brokers: BrokerSnapshot[];
  /**
   * The folder's triggers as `yc serverless trigger list --format json` prints them (every kind);
   * undefined when they were not read (the live API reads IoT Core only, or the dump lacks them).
   */
  triggers?: unknown[];
}

export type EntityKind = 'registry' | 'device' | 'broker';

/** Every registry, device and broker of a snapshot, in import order (a registry before its devices). */
export function* entities(
  snapshot: FolderSnapshot,
): Generator<{ kind: EntityKind; id: string; name: string; credentials: CredentialSnapshot }> {
  for (const { registry, credentials, devices } of snapshot.registries) {
    yield { kind: 'registry', id: registry.id, name: registry.name, credentials };
    for (const { device, credentials: deviceCredentials } of devices) {
      yield { kind: 'device', id: device.id, name: device.name, credentials: deviceCredentials };
    }
  }
  for (const { broker, credentials } of snapshot.brokers) yield { kind: 'broker', id: broker.id, name: broker.name, credentials };
}
