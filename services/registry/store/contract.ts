// The storage contract of the registry service. Two backends implement it (embedded LevelDB for the
// all-in-one mode, MongoDB for clusters) and both must pass test/registry/store-contract.ts.
//
// The store enforces the invariants that must hold even with concurrent writers (name uniqueness,
// global certificate uniqueness, "registry deletable only when empty", existence of the parent);
// input validation (formats, lengths, password strength, alias rules) belongs to the API layer.

import type {
  AccessTokenRecord,
  ServiceAccountKeyRecord,
  ServiceAccountRecord,
  AliasRecord,
  BrokerRecord,
  CertificateRecord,
  DataStreamExportRecord,
  TriggerRecord,
  DeviceMonitoringRecord,
  DeviceRecord,
  OperationRecord,
  OwnerKind,
  Page,
  PageRequest,
  PasswordRecord,
  RegistryRecord,
} from './records.js';

/** Base class of the errors the store raises on purpose; the API maps them to gRPC statuses. */
export class StoreError extends Error {
  constructor(
    readonly kind: 'not_found' | 'already_exists' | 'failed_precondition',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const notFound = (message: string) => new StoreError('not_found', message);
export const alreadyExists = (message: string) => new StoreError('already_exists', message);
export const failedPrecondition = (message: string) => new StoreError('failed_precondition', message);
/**
 * A certificate attached to someone else already (certificates are unique across registries,
 * devices and brokers). The holder is not named: it may be in a folder the caller cannot see.
 */
export const certificateTaken = (fingerprint: string) =>
  alreadyExists(`certificate ${fingerprint} is already attached to a registry, device or broker`);

/** Credentials created together with their owner, atomically with it. */
export interface InitialCredentials {
  passwords: PasswordRecord[];
  certificates: CertificateRecord[];
}

export interface RegistryStore {
  // Registries. Names are unique per folder (already_exists), ids globally.
  createRegistry(registry: RegistryRecord, credentials: InitialCredentials): Promise<void>;
  getRegistry(id: string): Promise<RegistryRecord | undefined>;
  getRegistryByName(folderId: string, name: string): Promise<RegistryRecord | undefined>;
  listRegistries(folderId: string, page: PageRequest): Promise<Page<RegistryRecord>>;
  countRegistries(folderId: string): Promise<number>;
  /** Replaces the record (same id); not_found if missing, already_exists on a name clash. */
  updateRegistry(registry: RegistryRecord): Promise<void>;
  /** failed_precondition while the registry still has devices; removes its credentials and data stream export too. */
  deleteRegistry(id: string): Promise<void>;

  // Devices. Names are unique per registry; the registry must exist (not_found).
  createDevice(device: DeviceRecord, credentials: InitialCredentials): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | undefined>;
  getDeviceByName(registryId: string, name: string): Promise<DeviceRecord | undefined>;
  listDevices(scope: { registry_id: string } | { folder_id: string }, page: PageRequest): Promise<Page<DeviceRecord>>;
  /** Served by an index or a maintained counter: quotas call it on every create when they are set. */
  countDevices(scope: { registry_id: string } | { folder_id: string }): Promise<number>;
  updateDevice(device: DeviceRecord): Promise<void>;
  /**
   * Merges each report's monitoring timestamps into its device (a device that is gone is skipped),
   * all in one write: edges report every device active in the last second at once.
   */
  recordDeviceMonitoring(reports: ReadonlyArray<{ device_id: string; patch: DeviceMonitoringRecord }>): Promise<void>;
  /** Removes the device and its credentials. */
  deleteDevice(id: string): Promise<void>;

  // Topic aliases of a registry's devices, indexed so a create never reads the whole registry.
  /** Every alias of the registry, by device ID, each device's aliases in their stored order. */
  listAliases(registryId: string): Promise<AliasRecord[]>;
  /**
   * The aliases of the registry's devices other than `exceptDeviceId` that are a string prefix of one
   * of `aliases` or have one of them as a prefix (equal included), by device ID; read through an
   * index, so the cost does not grow with the number of devices.
   */
  findAliasConflicts(registryId: string, exceptDeviceId: string, aliases: string[]): Promise<AliasRecord[]>;

  // Brokers. Names are unique per folder.
  createBroker(broker: BrokerRecord, credentials: InitialCredentials): Promise<void>;
  getBroker(id: string): Promise<BrokerRecord | undefined>;
  listBrokers(folderId: string, page: PageRequest): Promise<Page<BrokerRecord>>;
  countBrokers(folderId: string): Promise<number>;
  updateBroker(broker: BrokerRecord): Promise<void>;
  deleteBroker(id: string): Promise<void>;

  // Passwords of any owner; the owner must exist (not_found).
  addPassword(password: PasswordRecord): Promise<void>;
  listPasswords(ownerKind: OwnerKind, ownerId: string): Promise<PasswordRecord[]>;
  /** Password IDs are globally unique; imports check an ID given from outside before adding it. */
  getPassword(id: string): Promise<PasswordRecord | undefined>;
  /** not_found if the owner has no such password. */
  deletePassword(ownerKind: OwnerKind, ownerId: string, passwordId: string): Promise<void>;

  // Certificates: the fingerprint is globally unique across all owners (already_exists).
  addCertificate(certificate: CertificateRecord): Promise<void>;
  listCertificates(ownerKind: OwnerKind, ownerId: string): Promise<CertificateRecord[]>;
  findCertificate(fingerprint: string): Promise<CertificateRecord | undefined>;
  deleteCertificate(ownerKind: OwnerKind, ownerId: string, fingerprint: string): Promise<void>;

  // Data stream exports: at most one per registry (already_exists); the registry must exist (not_found).
  createDataStreamExport(dataStreamExport: DataStreamExportRecord): Promise<void>;
  listDataStreamExports(registryId: string): Promise<DataStreamExportRecord[]>;
  /** not_found if the registry has no such export. */
  deleteDataStreamExport(registryId: string, exportId: string): Promise<void>;

  // Triggers to HTTP: independent of their registry or broker (a trigger of a deleted one takes
  // nothing); few per folder, so listings read them all.
  createTrigger(trigger: TriggerRecord): Promise<void>;
  getTrigger(id: string): Promise<TriggerRecord | undefined>;
  /** The folder's triggers, by ID. */
  listTriggers(folderId: string): Promise<TriggerRecord[]>;
  /** The triggers of a registry or broker, by ID (what the edges match on). */
  listSourceTriggers(kind: 'registry' | 'broker', id: string): Promise<TriggerRecord[]>;
  /** Every trigger, by ID: what the delivery workers serve. */
  listAllTriggers(): Promise<TriggerRecord[]>;
  /** not_found if there is no such trigger. */
  deleteTrigger(id: string): Promise<void>;

  // Operations (history of mutations per resource).
  putOperation(operation: OperationRecord): Promise<void>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  listOperations(resourceId: string, page: PageRequest): Promise<Page<OperationRecord>>;

  // Scoped API tokens. The hash is unique (already_exists on a clash).
  createAccessToken(token: AccessTokenRecord): Promise<void>;
  getAccessToken(id: string): Promise<AccessTokenRecord | undefined>;
  /** The token whose secret has this SHA-256 (hex); read on every API call that misses the cache. */
  findAccessTokenByHash(hash: string): Promise<AccessTokenRecord | undefined>;
  /** Every token, by ID: tokens are few (people and backends, not devices). */
  listAccessTokens(): Promise<AccessTokenRecord[]>;
  /** not_found if there is no such token. */
  deleteAccessToken(id: string): Promise<void>;

  // Service accounts and their authorized keys: few, like tokens. Names are unique per folder
  // (already_exists); deleting an account deletes its keys (not_found when there is none).
  createServiceAccount(account: ServiceAccountRecord): Promise<void>;
  getServiceAccount(id: string): Promise<ServiceAccountRecord | undefined>;
  /** Every service account, by ID. */
  listServiceAccounts(): Promise<ServiceAccountRecord[]>;
  deleteServiceAccount(id: string): Promise<void>;
  /** failed_precondition when the account does not exist (any more). */
  createServiceAccountKey(key: ServiceAccountKeyRecord): Promise<void>;
  /** Read on every IAM token exchange and, through a short cache, on every call with an IAM token. */
  getServiceAccountKey(id: string): Promise<ServiceAccountKeyRecord | undefined>;
  /** The account's keys, by ID. */
  listServiceAccountKeys(serviceAccountId: string): Promise<ServiceAccountKeyRecord[]>;
  deleteServiceAccountKey(id: string): Promise<void>;

  /** Rejects when the backing database does not answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
