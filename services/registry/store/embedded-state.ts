// The embedded store's in-memory tables and the indexes that keep every read and every invariant
// check independent of the number of devices: names per scope, IDs per registry/folder/owner in
// ID order, and each registry's aliases in string order. Records change only through put*/delete*,
// which keep the indexes in step with the tables.
import type {
  AccessTokenRecord,
  AliasRecord,
  BrokerRecord,
  CertificateRecord,
  DataStreamExportRecord,
  DeviceRecord,
  OperationRecord,
  OwnerKind,
  PasswordRecord,
  RegistryRecord,
  ServiceAccountKeyRecord,
  TriggerRecord,
  ServiceAccountRecord,
} from './records.js';
import { RegistryAliasIndex } from './alias-index.js';
import { SortedIdGroups } from './sorted-ids.js';

export type Collection =
  | 'registry'
  | 'device'
  | 'broker'
  | 'password'
  | 'certificate'
  | 'operation'
  | 'access_token'
  | 'data_stream_export'
  | 'service_account'
  | 'service_account_key'
  | 'trigger';

const scoped = (scope: string, name: string) => `${scope}\0${name}`;
const owner = (kind: OwnerKind, id: string) => `${kind}:${id}`;

export class EmbeddedState {
  readonly registries = new Map<string, RegistryRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly brokers = new Map<string, BrokerRecord>();
  readonly passwords = new Map<string, PasswordRecord>();
  readonly certificates = new Map<string, CertificateRecord>();
  readonly operations = new Map<string, OperationRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** By registry ID: a registry has at most one. */
  readonly dataStreamExports = new Map<string, DataStreamExportRecord>();
  /** Token ID by the SHA-256 of its secret. */
  readonly accessTokensByHash = new Map<string, string>();
  readonly serviceAccounts = new Map<string, ServiceAccountRecord>();
  readonly serviceAccountKeys = new Map<string, ServiceAccountKeyRecord>();
  readonly triggers = new Map<string, TriggerRecord>();

  readonly registriesByFolder = new SortedIdGroups();
  readonly brokersByFolder = new SortedIdGroups();
  readonly devicesByRegistry = new SortedIdGroups();
  readonly devicesByFolder = new SortedIdGroups();
  readonly operationsByResource = new SortedIdGroups();
  readonly #aliasedDevices = new SortedIdGroups();
  readonly #aliases = new Map<string, RegistryAliasIndex>();
  readonly #names = new Map<string, string>(); // `kind:scope NUL name` → id
  readonly #passwordsByOwner = new SortedIdGroups();
  readonly #certificatesByOwner = new SortedIdGroups();

  /** Loading order matters: registries before their devices (a device's folder is its registry's). */
  static readonly loadOrder: Collection[] = [
    'registry',
    'broker',
    'device',
    'password',
    'certificate',
    'operation',
    'access_token',
    'data_stream_export',
    'service_account',
    'service_account_key',
    'trigger',
  ];

  load(collection: Collection, record: unknown): void {
    switch (collection) {
      case 'registry':
        return this.putRegistry(record as RegistryRecord);
      case 'device':
        return this.putDevice(record as DeviceRecord);
      case 'broker':
        return this.putBroker(record as BrokerRecord);
      case 'password':
        return this.putPassword(record as PasswordRecord);
      case 'certificate':
        return this.putCertificate(record as CertificateRecord);
      case 'operation':
        return this.putOperation(record as OperationRecord);
      case 'access_token':
        return this.putAccessToken(record as AccessTokenRecord);
      case 'data_stream_export': {
        const dataStreamExport = record as DataStreamExportRecord;
        this.dataStreamExports.set(dataStreamExport.registry_id, dataStreamExport);
        return;
      }
      case 'service_account': {
        const account = record as ServiceAccountRecord;
        return void this.serviceAccounts.set(account.id, account);
      }
      case 'service_account_key': {
        const key = record as ServiceAccountKeyRecord;
        return void this.serviceAccountKeys.set(key.id, key);
      }
      case 'trigger': {
        const trigger = record as TriggerRecord;
        return void this.triggers.set(trigger.id, trigger);
      }
    }
  }

  nameHolder(kind: 'registry' | 'device' | 'broker', scope: string, name: string): string | undefined {
    return this.#names.get(scoped(`${kind}:${scope}`, name));
  }

  ownerExists(kind: OwnerKind, id: string): boolean {
    return (kind === 'registry' ? this.registries : kind === 'device' ? this.devices : this.brokers).has(id);
  }

  credentialsOf(kind: OwnerKind, id: string): { passwords: PasswordRecord[]; certificates: CertificateRecord[] } {
    const key = owner(kind, id);
    return {
      passwords: this.#passwordsByOwner.after(key, undefined, Infinity).map((passwordId) => this.passwords.get(passwordId)!),
      certificates: this.#certificatesByOwner.after(key, undefined, Infinity).map((fingerprint) => this.certificates.get(fingerprint)!),
    };
  }

  folderOfDevice(device: DeviceRecord): string | undefined {
    return this.registries.get(device.registry_id)?.folder_id;
  }

  listAliases(registryId: string): AliasRecord[] {
    return this.#aliasedDevices.after(registryId, undefined, Infinity).flatMap((deviceId) =>
      Object.entries(this.devices.get(deviceId)!.topic_aliases).map(([alias, topic_prefix]) => ({
        device_id: deviceId,
        alias,
        topic_prefix,
      })),
    );
  }

  aliasConflicts(registryId: string, exceptDeviceId: string, aliases: string[]): AliasRecord[] {
    return this.#aliases.get(registryId)?.conflicts(exceptDeviceId, aliases) ?? [];
  }

  putRegistry(registry: RegistryRecord): void {
    const previous = this.registries.get(registry.id);
    if (previous) this.#names.delete(scoped(`registry:${previous.folder_id}`, previous.name));
    this.registries.set(registry.id, registry);
    this.registriesByFolder.add(registry.folder_id, registry.id);
    this.#names.set(scoped(`registry:${registry.folder_id}`, registry.name), registry.id);
  }

  deleteRegistry(id: string): void {
    const registry = this.registries.get(id);
    if (!registry) return;
    this.registries.delete(id);
    this.registriesByFolder.remove(registry.folder_id, id);
    this.#names.delete(scoped(`registry:${registry.folder_id}`, registry.name));
    this.#aliases.delete(id);
  }

  putDevice(device: DeviceRecord): void {
    const previous = this.devices.get(device.id);
    if (previous) this.#unindexDevice(previous);
    this.devices.set(device.id, device);
    this.devicesByRegistry.add(device.registry_id, device.id);
    const folder = this.folderOfDevice(device);
    if (folder !== undefined) this.devicesByFolder.add(folder, device.id);
    this.#names.set(scoped(`device:${device.registry_id}`, device.name), device.id);
    if (Object.keys(device.topic_aliases).length > 0) {
      this.#aliasedDevices.add(device.registry_id, device.id);
      let index = this.#aliases.get(device.registry_id);
      if (!index) this.#aliases.set(device.registry_id, (index = new RegistryAliasIndex()));
      index.add(device.id, device.topic_aliases);
    }
  }

  deleteDevice(id: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    this.devices.delete(id);
    this.#unindexDevice(device);
  }

  #unindexDevice(device: DeviceRecord): void {
    this.devicesByRegistry.remove(device.registry_id, device.id);
    const folder = this.folderOfDevice(device);
    if (folder !== undefined) this.devicesByFolder.remove(folder, device.id);
    const nameKey = scoped(`device:${device.registry_id}`, device.name);
    if (this.#names.get(nameKey) === device.id) this.#names.delete(nameKey);
    this.#aliasedDevices.remove(device.registry_id, device.id);
    this.#aliases.get(device.registry_id)?.remove(device.id, device.topic_aliases);
  }

  putBroker(broker: BrokerRecord): void {
    const previous = this.brokers.get(broker.id);
    if (previous) this.#names.delete(scoped(`broker:${previous.folder_id}`, previous.name));
    this.brokers.set(broker.id, broker);
    this.brokersByFolder.add(broker.folder_id, broker.id);
    this.#names.set(scoped(`broker:${broker.folder_id}`, broker.name), broker.id);
  }

  deleteBroker(id: string): void {
    const broker = this.brokers.get(id);
    if (!broker) return;
    this.brokers.delete(id);
    this.brokersByFolder.remove(broker.folder_id, id);
    this.#names.delete(scoped(`broker:${broker.folder_id}`, broker.name));
  }

  putPassword(password: PasswordRecord): void {
    this.passwords.set(password.id, password);
    this.#passwordsByOwner.add(owner(password.owner_kind, password.owner_id), password.id);
  }

  deletePassword(id: string): void {
    const password = this.passwords.get(id);
    if (!password) return;
    this.passwords.delete(id);
    this.#passwordsByOwner.remove(owner(password.owner_kind, password.owner_id), id);
  }

  putCertificate(certificate: CertificateRecord): void {
    this.certificates.set(certificate.fingerprint, certificate);
    this.#certificatesByOwner.add(owner(certificate.owner_kind, certificate.owner_id), certificate.fingerprint);
  }

  deleteCertificate(fingerprint: string): void {
    const certificate = this.certificates.get(fingerprint);
    if (!certificate) return;
    this.certificates.delete(fingerprint);
    this.#certificatesByOwner.remove(owner(certificate.owner_kind, certificate.owner_id), fingerprint);
  }

  putOperation(operation: OperationRecord): void {
    this.operations.set(operation.id, operation);
    this.operationsByResource.add(operation.resource_id, operation.id);
  }

  putAccessToken(token: AccessTokenRecord): void {
    this.accessTokens.set(token.id, token);
    this.accessTokensByHash.set(token.hash, token.id);
  }

  deleteAccessToken(id: string): void {
    const token = this.accessTokens.get(id);
    if (!token) return;
    this.accessTokens.delete(id);
    this.accessTokensByHash.delete(token.hash);
  }
}
