// The all-in-one store: every record is held in memory (with the indexes of embedded-state.ts; about
// 1.8 KB of heap per device with its Create operation, see the README's sizing section),
// loaded from LevelDB at open, and every mutation is written through as one atomic batch, except
// devices' monitoring times, saved every few seconds. Mutations run one at a time, so an invariant
// check and its write cannot interleave.
import { ClassicLevel } from 'classic-level';
import pLimit from 'p-limit';
import { alreadyExists, certificateTaken, failedPrecondition, notFound, type InitialCredentials, type RegistryStore } from './contract.js';
import type {
  AccessTokenRecord,
  BrokerRecord,
  CertificateRecord,
  DataStreamExportRecord,
  DeviceMonitoringRecord,
  DeviceRecord,
  OperationRecord,
  OwnerKind,
  Page,
  PageRequest,
  PasswordRecord,
  RegistryRecord,
  ServiceAccountKeyRecord,
  TriggerRecord,
  ServiceAccountRecord,
} from './records.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { decodePageToken, pageFromSorted } from './paging.js';
import { EmbeddedState, type Collection } from './embedded-state.js';
import type { SortedIdGroups } from './sorted-ids.js';
import { MONITORING_SAVE_MS, PeriodicSaves } from './periodic-saves.js';

type BatchOperation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };
type DeviceScope = { registry_id: string } | { folder_id: string };

const key = (collection: Collection, id: string) => `${collection}:${id}`;

/** Devices per write of a save: each is one task of the event loop (about 6 µs per device to encode). */
const MONITORING_SAVE_CHUNK = 200;
const byId = <T extends { id: string }>(records: T[]): T[] => records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export async function openEmbeddedStore(dir: string, options: { monitoringSaveMs?: number } = {}): Promise<RegistryStore> {
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
  await db.open();
  const state = new EmbeddedState();
  for (const collection of EmbeddedState.loadOrder) {
    // `;` follows `:`, so this range is exactly the collection's keys.
    for await (const value of db.values({ gt: `${collection}:`, lt: `${collection};` })) state.load(collection, decodeRecord(value));
  }
  return new EmbeddedStore(db, state, options.monitoringSaveMs ?? MONITORING_SAVE_MS);
}

/** A page of `table` records read through a sorted ID index. */
function pageOfIndex<T extends { id: string }>(ids: SortedIdGroups, group: string, table: Map<string, T>, page: PageRequest): Page<T> {
  const after = decodePageToken(page.page_token);
  return pageFromSorted(
    ids.after(group, after, page.page_size + 1).map((id) => table.get(id)!),
    (record) => record.id,
    page,
  );
}

class EmbeddedStore implements RegistryStore {
  readonly #oneAtATime = pLimit(1);
  /** Devices whose monitoring times in memory are newer than in LevelDB; a deleted one is skipped. */
  readonly #monitoringSaves: PeriodicSaves;

  constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly state: EmbeddedState,
    monitoringSaveMs: number,
  ) {
    this.#monitoringSaves = new PeriodicSaves(
      (ids, saved) =>
        this.#mutate(() => ({
          batch: ids.flatMap((id) => {
            const device = this.state.devices.get(id);
            return device ? [{ type: 'put' as const, key: key('device', id), value: encodeRecord(device) }] : [];
          }),
          commit: saved,
        })),
      monitoringSaveMs,
      MONITORING_SAVE_CHUNK,
    );
  }

  /** Runs mutations one after another; `apply` validates, then returns the batch to persist. */
  #mutate(apply: () => { batch: BatchOperation[]; commit: () => void }): Promise<void> {
    return this.#oneAtATime(async () => {
      const { batch, commit } = apply();
      if (batch.length > 0) await this.db.batch(batch);
      commit();
    });
  }

  // Registries ---------------------------------------------------------------------------------

  createRegistry(registry: RegistryRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      this.#assertRegistryNameFree(registry.folder_id, registry.name, registry.id);
      return this.#createOwner('registry', registry, credentials, () => this.state.putRegistry(registry));
    });
  }

  async getRegistry(id: string) {
    return this.state.registries.get(id);
  }

  async getRegistryByName(folderId: string, name: string) {
    const id = this.state.nameHolder('registry', folderId, name);
    return id === undefined ? undefined : this.state.registries.get(id);
  }

  async listRegistries(folderId: string, page: PageRequest): Promise<Page<RegistryRecord>> {
    return pageOfIndex(this.state.registriesByFolder, folderId, this.state.registries, page);
  }

  async countRegistries(folderId: string) {
    return this.state.registriesByFolder.size(folderId);
  }

  updateRegistry(registry: RegistryRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(registry.id)) throw notFound(`registry ${registry.id} not found`);
      this.#assertRegistryNameFree(registry.folder_id, registry.name, registry.id);
      return this.#put('registry', registry.id, registry, () => this.state.putRegistry(registry));
    });
  }

  deleteRegistry(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(id)) throw notFound(`registry ${id} not found`);
      const devices = this.state.devicesByRegistry.size(id);
      if (devices > 0) throw failedPrecondition(`registry ${id} still has ${devices} device(s); delete them first`);
      const removal = this.#deleteOwner('registry', id, () => this.state.deleteRegistry(id));
      const dataStreamExport = this.state.dataStreamExports.get(id);
      if (!dataStreamExport) return removal;
      return {
        batch: [...removal.batch, { type: 'del', key: key('data_stream_export', dataStreamExport.id) }],
        commit: () => {
          removal.commit();
          this.state.dataStreamExports.delete(id);
        },
      };
    });
  }

  #assertRegistryNameFree(folderId: string, name: string, id: string): void {
    const holder = this.state.nameHolder('registry', folderId, name);
    if (name && holder !== undefined && holder !== id) throw alreadyExists(`name: registry "${name}" already exists in folder ${folderId}`);
  }

  // Devices ------------------------------------------------------------------------------------

  createDevice(device: DeviceRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(device.registry_id)) throw notFound(`registry ${device.registry_id} not found`);
      this.#assertDeviceNameFree(device.registry_id, device.name, device.id);
      return this.#createOwner('device', device, credentials, () => this.state.putDevice(device));
    });
  }

  async getDevice(id: string) {
    return this.state.devices.get(id);
  }

  async getDeviceByName(registryId: string, name: string) {
    const id = this.state.nameHolder('device', registryId, name);
    return id === undefined ? undefined : this.state.devices.get(id);
  }

  async listDevices(scope: DeviceScope, page: PageRequest): Promise<Page<DeviceRecord>> {
    return pageOfIndex(...this.#deviceIndex(scope), this.state.devices, page);
  }

  async countDevices(scope: DeviceScope) {
    const [index, group] = this.#deviceIndex(scope);
    return index.size(group);
  }

  #deviceIndex(scope: DeviceScope) {
    return 'registry_id' in scope
      ? ([this.state.devicesByRegistry, scope.registry_id] as const)
      : ([this.state.devicesByFolder, scope.folder_id] as const);
  }

  updateDevice(device: DeviceRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.devices.has(device.id)) throw notFound(`device ${device.id} not found`);
      this.#assertDeviceNameFree(device.registry_id, device.name, device.id);
      return this.#put('device', device.id, device, () => this.state.putDevice(device));
    });
  }

  recordDeviceMonitoring(reports: ReadonlyArray<{ device_id: string; patch: DeviceMonitoringRecord }>): Promise<void> {
    return this.#mutate(() => {
      // By device, so two reports of one device in a batch both count.
      const updates = new Map<string, DeviceRecord>();
      for (const { device_id, patch } of reports) {
        const current = updates.get(device_id) ?? this.state.devices.get(device_id);
        if (current) updates.set(device_id, { ...current, monitoring: { ...current.monitoring, ...patch } });
      }
      return {
        batch: [],
        // Monitoring is in no index: the records are swapped, not re-indexed.
        commit: () => {
          for (const device of updates.values()) {
            this.state.devices.set(device.id, device);
            this.#monitoringSaves.changed(device.id);
          }
        },
      };
    });
  }

  deleteDevice(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.devices.has(id)) throw notFound(`device ${id} not found`);
      return this.#deleteOwner('device', id, () => this.state.deleteDevice(id));
    });
  }

  async listAliases(registryId: string) {
    return this.state.listAliases(registryId);
  }

  async findAliasConflicts(registryId: string, exceptDeviceId: string, aliases: string[]) {
    return this.state.aliasConflicts(registryId, exceptDeviceId, aliases);
  }

  #assertDeviceNameFree(registryId: string, name: string, id: string): void {
    const holder = this.state.nameHolder('device', registryId, name);
    if (name && holder !== undefined && holder !== id)
      throw alreadyExists(`name: device "${name}" already exists in registry ${registryId}`);
  }

  // Brokers ------------------------------------------------------------------------------------

  createBroker(broker: BrokerRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      this.#assertBrokerNameFree(broker.folder_id, broker.name, broker.id);
      return this.#createOwner('broker', broker, credentials, () => this.state.putBroker(broker));
    });
  }

  async getBroker(id: string) {
    return this.state.brokers.get(id);
  }

  async listBrokers(folderId: string, page: PageRequest): Promise<Page<BrokerRecord>> {
    return pageOfIndex(this.state.brokersByFolder, folderId, this.state.brokers, page);
  }

  async countBrokers(folderId: string) {
    return this.state.brokersByFolder.size(folderId);
  }

  updateBroker(broker: BrokerRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.brokers.has(broker.id)) throw notFound(`broker ${broker.id} not found`);
      this.#assertBrokerNameFree(broker.folder_id, broker.name, broker.id);
      return this.#put('broker', broker.id, broker, () => this.state.putBroker(broker));
    });
  }

  deleteBroker(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.brokers.has(id)) throw notFound(`broker ${id} not found`);
      return this.#deleteOwner('broker', id, () => this.state.deleteBroker(id));
    });
  }

  #assertBrokerNameFree(folderId: string, name: string, id: string): void {
    const holder = this.state.nameHolder('broker', folderId, name);
    if (name && holder !== undefined && holder !== id) throw alreadyExists(`name: broker "${name}" already exists in folder ${folderId}`);
  }

  // Credentials --------------------------------------------------------------------------------

  addPassword(password: PasswordRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.ownerExists(password.owner_kind, password.owner_id))
        throw notFound(`${password.owner_kind} ${password.owner_id} not found`);
      return this.#put('password', password.id, password, () => this.state.putPassword(password));
    });
  }

  async listPasswords(ownerKind: OwnerKind, ownerId: string) {
    return this.state.credentialsOf(ownerKind, ownerId).passwords;
  }

  async getPassword(id: string) {
    return this.state.passwords.get(id);
  }

  deletePassword(ownerKind: OwnerKind, ownerId: string, passwordId: string): Promise<void> {
    return this.#mutate(() => {
      const password = this.state.passwords.get(passwordId);
      if (!password || password.owner_kind !== ownerKind || password.owner_id !== ownerId) {
        throw notFound(`password ${passwordId} not found on ${ownerKind} ${ownerId}`);
      }
      return { batch: [{ type: 'del', key: key('password', passwordId) }], commit: () => this.state.deletePassword(passwordId) };
    });
  }

  addCertificate(certificate: CertificateRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.ownerExists(certificate.owner_kind, certificate.owner_id)) {
        throw notFound(`${certificate.owner_kind} ${certificate.owner_id} not found`);
      }
      this.#assertCertificatesFree([certificate]);
      return this.#put('certificate', certificate.fingerprint, certificate, () => this.state.putCertificate(certificate));
    });
  }

  async listCertificates(ownerKind: OwnerKind, ownerId: string) {
    return this.state.credentialsOf(ownerKind, ownerId).certificates;
  }

  async findCertificate(fingerprint: string) {
    return this.state.certificates.get(fingerprint);
  }

  deleteCertificate(ownerKind: OwnerKind, ownerId: string, fingerprint: string): Promise<void> {
    return this.#mutate(() => {
      const certificate = this.state.certificates.get(fingerprint);
      if (!certificate || certificate.owner_kind !== ownerKind || certificate.owner_id !== ownerId) {
        throw notFound(`certificate ${fingerprint} not found on ${ownerKind} ${ownerId}`);
      }
      return { batch: [{ type: 'del', key: key('certificate', fingerprint) }], commit: () => this.state.deleteCertificate(fingerprint) };
    });
  }

  #assertCertificatesFree(certificates: CertificateRecord[]): void {
    for (const certificate of certificates) {
      if (this.state.certificates.has(certificate.fingerprint)) throw certificateTaken(certificate.fingerprint);
    }
  }

  // Data stream exports ------------------------------------------------------------------------

  createDataStreamExport(dataStreamExport: DataStreamExportRecord): Promise<void> {
    return this.#mutate(() => {
      const registryId = dataStreamExport.registry_id;
      if (!this.state.registries.has(registryId)) throw notFound(`registry ${registryId} not found`);
      const existing = this.state.dataStreamExports.get(registryId);
      if (existing) throw alreadyExists(`registry ${registryId} already has a data stream export (${existing.id}); delete it first`);
      return this.#put('data_stream_export', dataStreamExport.id, dataStreamExport, () =>
        this.state.dataStreamExports.set(registryId, dataStreamExport),
      );
    });
  }

  async listDataStreamExports(registryId: string) {
    const dataStreamExport = this.state.dataStreamExports.get(registryId);
    return dataStreamExport ? [dataStreamExport] : [];
  }

  deleteDataStreamExport(registryId: string, exportId: string): Promise<void> {
    return this.#mutate(() => {
      if (this.state.dataStreamExports.get(registryId)?.id !== exportId)
        throw notFound(`data stream export ${exportId} not found in registry ${registryId}`);
      return {
        batch: [{ type: 'del', key: key('data_stream_export', exportId) }],
        commit: () => this.state.dataStreamExports.delete(registryId),
      };
    });
  }

  // Operations ---------------------------------------------------------------------------------

  putOperation(operation: OperationRecord): Promise<void> {
    return this.#mutate(() => this.#put('operation', operation.id, operation, () => this.state.putOperation(operation)));
  }

  async getOperation(id: string) {
    return this.state.operations.get(id);
  }

  async listOperations(resourceId: string, page: PageRequest): Promise<Page<OperationRecord>> {
    return pageOfIndex(this.state.operationsByResource, resourceId, this.state.operations, page);
  }

  // Access tokens -------------------------------------------------------------------------------

  createAccessToken(token: AccessTokenRecord): Promise<void> {
    return this.#mutate(() => {
      if (this.state.accessTokens.has(token.id) || this.state.accessTokensByHash.has(token.hash))
        throw alreadyExists(`access token ${token.id} already exists`);
      return this.#put('access_token', token.id, token, () => this.state.putAccessToken(token));
    });
  }

  async getAccessToken(id: string) {
    return this.state.accessTokens.get(id);
  }

  async findAccessTokenByHash(hash: string) {
    const id = this.state.accessTokensByHash.get(hash);
    return id === undefined ? undefined : this.state.accessTokens.get(id);
  }

  async listAccessTokens() {
    return byId([...this.state.accessTokens.values()]);
  }

  deleteAccessToken(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.accessTokens.has(id)) throw notFound(`access token ${id} not found`);
      return { batch: [{ type: 'del', key: key('access_token', id) }], commit: () => this.state.deleteAccessToken(id) };
    });
  }

  // Service accounts ----------------------------------------------------------------------------

  createServiceAccount(account: ServiceAccountRecord): Promise<void> {
    return this.#mutate(() => {
      if (this.state.serviceAccounts.has(account.id)) throw alreadyExists(`service account ${account.id} already exists`);
      for (const other of this.state.serviceAccounts.values()) {
        if (other.folder_id === account.folder_id && other.name === account.name)
          throw alreadyExists(`name: service account "${account.name}" already exists in folder ${account.folder_id}`);
      }
      return this.#put('service_account', account.id, account, () => this.state.serviceAccounts.set(account.id, account));
    });
  }

  async getServiceAccount(id: string) {
    return this.state.serviceAccounts.get(id);
  }

  async listServiceAccounts() {
    return byId([...this.state.serviceAccounts.values()]);
  }

  deleteServiceAccount(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.serviceAccounts.has(id)) throw notFound(`service account ${id} not found`);
      const keyIds = [...this.state.serviceAccountKeys.values()].filter((k) => k.service_account_id === id).map((k) => k.id);
      return {
        batch: [
          ...keyIds.map((keyId) => ({ type: 'del' as const, key: key('service_account_key', keyId) })),
          { type: 'del', key: key('service_account', id) },
        ],
        commit: () => {
          for (const keyId of keyIds) this.state.serviceAccountKeys.delete(keyId);
          this.state.serviceAccounts.delete(id);
        },
      };
    });
  }

  createServiceAccountKey(record: ServiceAccountKeyRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.serviceAccounts.has(record.service_account_id))
        throw failedPrecondition(`service account ${record.service_account_id} not found`);
      if (this.state.serviceAccountKeys.has(record.id)) throw alreadyExists(`key ${record.id} already exists`);
      return this.#put('service_account_key', record.id, record, () => this.state.serviceAccountKeys.set(record.id, record));
    });
  }

  async getServiceAccountKey(id: string) {
    return this.state.serviceAccountKeys.get(id);
  }

  async listServiceAccountKeys(serviceAccountId: string) {
    return byId([...this.state.serviceAccountKeys.values()].filter((record) => record.service_account_id === serviceAccountId));
  }

  deleteServiceAccountKey(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.serviceAccountKeys.has(id)) throw notFound(`key ${id} not found`);
      return { batch: [{ type: 'del', key: key('service_account_key', id) }], commit: () => this.state.serviceAccountKeys.delete(id) };
    });
  }

  // Triggers -----------------------------------------------------------------------------------

  createTrigger(trigger: TriggerRecord): Promise<void> {
    return this.#mutate(() => {
      if (this.state.triggers.has(trigger.id)) throw alreadyExists(`trigger ${trigger.id} already exists`);
      return this.#put('trigger', trigger.id, trigger, () => this.state.triggers.set(trigger.id, trigger));
    });
  }

  async getTrigger(id: string) {
    return this.state.triggers.get(id);
  }

  async listTriggers(folderId: string) {
    return byId([...this.state.triggers.values()].filter((trigger) => trigger.folder_id === folderId));
  }

  async listSourceTriggers(kind: 'registry' | 'broker', id: string) {
    return byId([...this.state.triggers.values()].filter((trigger) => trigger.source.kind === kind && trigger.source.id === id));
  }

  async listAllTriggers() {
    return byId([...this.state.triggers.values()]);
  }

  deleteTrigger(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.triggers.has(id)) throw notFound(`trigger ${id} not found`);
      return { batch: [{ type: 'del', key: key('trigger', id) }], commit: () => this.state.triggers.delete(id) };
    });
  }

  async ping(): Promise<void> {
    // In-process: answers as long as the process does.
  }

  async close(): Promise<void> {
    await this.#monitoringSaves.close();
    // After every mutation queued before it.
    await this.#oneAtATime(() => this.db.close());
  }

  // Shared write paths -------------------------------------------------------------------------

  #put(collection: Collection, id: string, record: object, commit: () => void) {
    return { batch: [{ type: 'put' as const, key: key(collection, id), value: encodeRecord(record) }], commit };
  }

  #createOwner(kind: OwnerKind, owner: { id: string }, credentials: InitialCredentials, store: () => void) {
    if (this.state.ownerExists(kind, owner.id)) throw alreadyExists(`${kind} ${owner.id} already exists`);
    this.#assertCertificatesFree(credentials.certificates);
    const batch: BatchOperation[] = [
      { type: 'put', key: key(kind, owner.id), value: encodeRecord(owner) },
      ...credentials.passwords.map((p) => ({ type: 'put' as const, key: key('password', p.id), value: encodeRecord(p) })),
      ...credentials.certificates.map((c) => ({ type: 'put' as const, key: key('certificate', c.fingerprint), value: encodeRecord(c) })),
    ];
    return {
      batch,
      commit: () => {
        store();
        for (const p of credentials.passwords) this.state.putPassword(p);
        for (const c of credentials.certificates) this.state.putCertificate(c);
      },
    };
  }

  #deleteOwner(kind: OwnerKind, id: string, remove: () => void) {
    const { passwords, certificates } = this.state.credentialsOf(kind, id);
    const batch: BatchOperation[] = [
      { type: 'del', key: key(kind, id) },
      ...passwords.map((p) => ({ type: 'del' as const, key: key('password', p.id) })),
      ...certificates.map((c) => ({ type: 'del' as const, key: key('certificate', c.fingerprint) })),
    ];
    return {
      batch,
      commit: () => {
        remove();
        for (const p of passwords) this.state.deletePassword(p.id);
        for (const c of certificates) this.state.deleteCertificate(c.fingerprint);
      },
    };
  }
}
