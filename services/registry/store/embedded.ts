// The all-in-one store: registry data is small (thousands of entities), so everything is held in
// memory, loaded from LevelDB at open, and every mutation is written through as one atomic batch.
// Mutations run one at a time, so an invariant check and its write cannot interleave.
import { ClassicLevel } from 'classic-level';
import { alreadyExists, failedPrecondition, notFound, type InitialCredentials, type RegistryStore } from './contract.js';
import type {
  BrokerRecord,
  CertificateRecord,
  DeviceMonitoringRecord,
  DeviceRecord,
  OperationRecord,
  OwnerKind,
  Page,
  PageRequest,
  PasswordRecord,
  RegistryRecord,
} from './records.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { pageOf } from './paging.js';

type Collection = 'registry' | 'device' | 'broker' | 'password' | 'certificate' | 'operation';
type BatchOperation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

const key = (collection: Collection, id: string) => `${collection}:${id}`;

export async function openEmbeddedStore(dir: string): Promise<RegistryStore> {
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
  await db.open();
  const state = new State();
  for await (const [entryKey, value] of db.iterator()) {
    const separator = entryKey.indexOf(':');
    state.load(entryKey.slice(0, separator) as Collection, decodeRecord(value));
  }
  return new EmbeddedStore(db, state);
}

/** In-memory tables and the secondary indexes the contract's invariants need. */
class State {
  registries = new Map<string, RegistryRecord>();
  devices = new Map<string, DeviceRecord>();
  brokers = new Map<string, BrokerRecord>();
  passwords = new Map<string, PasswordRecord>();
  certificates = new Map<string, CertificateRecord>();
  operations = new Map<string, OperationRecord>();

  load(collection: Collection, record: unknown): void {
    switch (collection) {
      case 'registry': return void this.registries.set((record as RegistryRecord).id, record as RegistryRecord);
      case 'device': return void this.devices.set((record as DeviceRecord).id, record as DeviceRecord);
      case 'broker': return void this.brokers.set((record as BrokerRecord).id, record as BrokerRecord);
      case 'password': return void this.passwords.set((record as PasswordRecord).id, record as PasswordRecord);
      case 'certificate': return void this.certificates.set((record as CertificateRecord).fingerprint, record as CertificateRecord);
      case 'operation': return void this.operations.set((record as OperationRecord).id, record as OperationRecord);
    }
  }

  ownerExists(kind: OwnerKind, id: string): boolean {
    return (kind === 'registry' ? this.registries : kind === 'device' ? this.devices : this.brokers).has(id);
  }

  credentialsOf(kind: OwnerKind, id: string): { passwords: PasswordRecord[]; certificates: CertificateRecord[] } {
    const owned = <T extends { owner_kind: OwnerKind; owner_id: string }>(records: Iterable<T>) =>
      [...records].filter((record) => record.owner_kind === kind && record.owner_id === id);
    return { passwords: owned(this.passwords.values()), certificates: owned(this.certificates.values()) };
  }
}

class EmbeddedStore implements RegistryStore {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly state: State,
  ) {}

  /** Runs mutations one after another; `apply` validates, then returns the batch to persist. */
  #mutate(apply: () => { batch: BatchOperation[]; commit: () => void }): Promise<void> {
    const run = this.#queue.then(async () => {
      const { batch, commit } = apply();
      await this.db.batch(batch);
      commit();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // Registries ---------------------------------------------------------------------------------

  createRegistry(registry: RegistryRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      this.#assertRegistryNameFree(registry.folder_id, registry.name, registry.id);
      return this.#createOwner('registry', registry, this.state.registries, credentials);
    });
  }

  async getRegistry(id: string) {
    return this.state.registries.get(id);
  }

  async getRegistryByName(folderId: string, name: string) {
    return [...this.state.registries.values()].find((r) => r.folder_id === folderId && r.name === name);
  }

  async listRegistries(folderId: string, page: PageRequest): Promise<Page<RegistryRecord>> {
    return pageOf([...this.state.registries.values()].filter((r) => r.folder_id === folderId), (r) => r.id, page);
  }

  async countRegistries(folderId: string) {
    return [...this.state.registries.values()].filter((r) => r.folder_id === folderId).length;
  }

  updateRegistry(registry: RegistryRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(registry.id)) throw notFound(`registry ${registry.id} not found`);
      this.#assertRegistryNameFree(registry.folder_id, registry.name, registry.id);
      return this.#put('registry', registry.id, registry, () => this.state.registries.set(registry.id, registry));
    });
  }

  deleteRegistry(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(id)) throw notFound(`registry ${id} not found`);
      const devices = [...this.state.devices.values()].filter((d) => d.registry_id === id).length;
      if (devices > 0) throw failedPrecondition(`registry ${id} still has ${devices} device(s); delete them first`);
      return this.#deleteOwner('registry', id, this.state.registries);
    });
  }

  #assertRegistryNameFree(folderId: string, name: string, id: string): void {
    const clash = [...this.state.registries.values()].find((r) => r.folder_id === folderId && r.name === name && r.id !== id);
    if (name && clash) throw alreadyExists(`name: registry "${name}" already exists in folder ${folderId}`);
  }

  // Devices ------------------------------------------------------------------------------------

  createDevice(device: DeviceRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.registries.has(device.registry_id)) throw notFound(`registry ${device.registry_id} not found`);
      this.#assertDeviceNameFree(device.registry_id, device.name, device.id);
      return this.#createOwner('device', device, this.state.devices, credentials);
    });
  }

  async getDevice(id: string) {
    return this.state.devices.get(id);
  }

  async getDeviceByName(registryId: string, name: string) {
    return [...this.state.devices.values()].find((d) => d.registry_id === registryId && d.name === name);
  }

  async listDevices(scope: { registry_id: string } | { folder_id: string }, page: PageRequest): Promise<Page<DeviceRecord>> {
    return pageOf(this.#devicesIn(scope), (d) => d.id, page);
  }

  async countDevices(scope: { registry_id: string } | { folder_id: string }) {
    return this.#devicesIn(scope).length;
  }

  #devicesIn(scope: { registry_id: string } | { folder_id: string }): DeviceRecord[] {
    const devices = [...this.state.devices.values()];
    if ('registry_id' in scope) return devices.filter((d) => d.registry_id === scope.registry_id);
    return devices.filter((d) => this.state.registries.get(d.registry_id)?.folder_id === scope.folder_id);
  }

  updateDevice(device: DeviceRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.devices.has(device.id)) throw notFound(`device ${device.id} not found`);
      this.#assertDeviceNameFree(device.registry_id, device.name, device.id);
      return this.#put('device', device.id, device, () => this.state.devices.set(device.id, device));
    });
  }

  recordDeviceMonitoring(id: string, patch: DeviceMonitoringRecord): Promise<void> {
    return this.#mutate(() => {
      const current = this.state.devices.get(id);
      if (!current) return { batch: [], commit: () => undefined };
      const updated = { ...current, monitoring: { ...current.monitoring, ...patch } };
      return this.#put('device', id, updated, () => this.state.devices.set(id, updated));
    });
  }

  deleteDevice(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.devices.has(id)) throw notFound(`device ${id} not found`);
      return this.#deleteOwner('device', id, this.state.devices);
    });
  }

  #assertDeviceNameFree(registryId: string, name: string, id: string): void {
    const clash = [...this.state.devices.values()].find((d) => d.registry_id === registryId && d.name === name && d.id !== id);
    if (name && clash) throw alreadyExists(`name: device "${name}" already exists in registry ${registryId}`);
  }

  // Brokers ------------------------------------------------------------------------------------

  createBroker(broker: BrokerRecord, credentials: InitialCredentials): Promise<void> {
    return this.#mutate(() => {
      this.#assertBrokerNameFree(broker.folder_id, broker.name, broker.id);
      return this.#createOwner('broker', broker, this.state.brokers, credentials);
    });
  }

  async getBroker(id: string) {
    return this.state.brokers.get(id);
  }

  async listBrokers(folderId: string, page: PageRequest): Promise<Page<BrokerRecord>> {
    return pageOf([...this.state.brokers.values()].filter((b) => b.folder_id === folderId), (b) => b.id, page);
  }

  async countBrokers(folderId: string) {
    return [...this.state.brokers.values()].filter((b) => b.folder_id === folderId).length;
  }

  updateBroker(broker: BrokerRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.brokers.has(broker.id)) throw notFound(`broker ${broker.id} not found`);
      this.#assertBrokerNameFree(broker.folder_id, broker.name, broker.id);
      return this.#put('broker', broker.id, broker, () => this.state.brokers.set(broker.id, broker));
    });
  }

  deleteBroker(id: string): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.brokers.has(id)) throw notFound(`broker ${id} not found`);
      return this.#deleteOwner('broker', id, this.state.brokers);
    });
  }

  #assertBrokerNameFree(folderId: string, name: string, id: string): void {
    const clash = [...this.state.brokers.values()].find((b) => b.folder_id === folderId && b.name === name && b.id !== id);
    if (name && clash) throw alreadyExists(`name: broker "${name}" already exists in folder ${folderId}`);
  }

  // Credentials --------------------------------------------------------------------------------

  addPassword(password: PasswordRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.ownerExists(password.owner_kind, password.owner_id)) throw notFound(`${password.owner_kind} ${password.owner_id} not found`);
      return this.#put('password', password.id, password, () => this.state.passwords.set(password.id, password));
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
      return { batch: [{ type: 'del', key: key('password', passwordId) }], commit: () => this.state.passwords.delete(passwordId) };
    });
  }

  addCertificate(certificate: CertificateRecord): Promise<void> {
    return this.#mutate(() => {
      if (!this.state.ownerExists(certificate.owner_kind, certificate.owner_id)) {
        throw notFound(`${certificate.owner_kind} ${certificate.owner_id} not found`);
      }
      this.#assertCertificatesFree([certificate]);
      return this.#put('certificate', certificate.fingerprint, certificate, () => this.state.certificates.set(certificate.fingerprint, certificate));
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
      return { batch: [{ type: 'del', key: key('certificate', fingerprint) }], commit: () => this.state.certificates.delete(fingerprint) };
    });
  }

  #assertCertificatesFree(certificates: CertificateRecord[]): void {
    for (const certificate of certificates) {
      const holder = this.state.certificates.get(certificate.fingerprint);
      if (holder) {
        throw alreadyExists(`certificate ${certificate.fingerprint} is already attached to ${holder.owner_kind} ${holder.owner_id}`);
      }
    }
  }

  // Operations ---------------------------------------------------------------------------------

  putOperation(operation: OperationRecord): Promise<void> {
    return this.#mutate(() => this.#put('operation', operation.id, operation, () => this.state.operations.set(operation.id, operation)));
  }

  async getOperation(id: string) {
    return this.state.operations.get(id);
  }

  async listOperations(resourceId: string, page: PageRequest): Promise<Page<OperationRecord>> {
    return pageOf([...this.state.operations.values()].filter((o) => o.resource_id === resourceId), (o) => o.id, page);
  }

  async ping(): Promise<void> {
    // In-process: answers as long as the process does.
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.db.close();
  }

  // Shared write paths -------------------------------------------------------------------------

  #put(collection: Collection, id: string, record: object, commit: () => void) {
    return { batch: [{ type: 'put' as const, key: key(collection, id), value: encodeRecord(record) }], commit };
  }

  #createOwner<T extends { id: string }>(kind: OwnerKind, owner: T, table: Map<string, T>, credentials: InitialCredentials) {
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
        table.set(owner.id, owner);
        for (const p of credentials.passwords) this.state.passwords.set(p.id, p);
        for (const c of credentials.certificates) this.state.certificates.set(c.fingerprint, c);
      },
    };
  }

  #deleteOwner<T>(kind: OwnerKind, id: string, table: Map<string, T>) {
    const { passwords, certificates } = this.state.credentialsOf(kind, id);
    const batch: BatchOperation[] = [
      { type: 'del', key: key(kind, id) },
      ...passwords.map((p) => ({ type: 'del' as const, key: key('password', p.id) })),
      ...certificates.map((c) => ({ type: 'del' as const, key: key('certificate', c.fingerprint) })),
    ];
    return {
      batch,
      commit: () => {
        table.delete(id);
        for (const p of passwords) this.state.passwords.delete(p.id);
        for (const c of certificates) this.state.certificates.delete(c.fingerprint);
      },
    };
  }
}
