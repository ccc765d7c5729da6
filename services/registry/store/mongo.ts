// The cluster store: one MongoDB database shared by registry replicas. Unique indexes enforce the
// invariants two replicas could otherwise race past (names per folder/registry, certificate
// fingerprints). MongoDB-compatible servers without transactions (FerretDB) must work too, so
// multi-document writes insert children first and undo what they wrote when a later step fails.
import type { Collection, Db, MongoClient } from 'mongodb';
import { isDuplicateKey } from '../../common/mongo-errors.js';
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
import { decodePageToken, pageFromSorted } from './paging.js';
import { MonitoringWrites } from './mongo-monitoring.js';
import { MONITORING_SAVE_MS } from './periodic-saves.js';
import {
  aliasedDevicesFilter,
  aliasRecords,
  backfillAliasFields,
  deviceDocument,
  deviceRecord,
  findAliasConflicts,
  DEVICE_INDEXES,
  type DeviceDocument,
} from './mongo-devices.js';

type WithId<T> = T & { _id: string };

export async function openMongoStore(
  client: MongoClient,
  dbName: string,
  options: { ownsClient?: boolean; monitoringSaveMs?: number } = {},
): Promise<RegistryStore> {
  const store = new MongoStore(client, client.db(dbName), options.ownsClient ?? false, options.monitoringSaveMs ?? MONITORING_SAVE_MS);
  await store.createIndexes();
  return store;
}

class MongoStore implements RegistryStore {
  readonly #registries: Collection<WithId<RegistryRecord>>;
  readonly #devices: Collection<DeviceDocument>;
  readonly #brokers: Collection<WithId<BrokerRecord>>;
  readonly #passwords: Collection<WithId<PasswordRecord>>;
  readonly #certificates: Collection<WithId<CertificateRecord>>;
  readonly #operations: Collection<WithId<OperationRecord>>;
  readonly #accessTokens: Collection<WithId<AccessTokenRecord>>;
  readonly #dataStreamExports: Collection<WithId<DataStreamExportRecord>>;
  readonly #serviceAccounts: Collection<WithId<ServiceAccountRecord>>;
  readonly #serviceAccountKeys: Collection<WithId<ServiceAccountKeyRecord>>;
  readonly #triggers: Collection<WithId<TriggerRecord>>;
  readonly #monitoring: MonitoringWrites;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly ownsClient: boolean,
    monitoringSaveMs: number,
  ) {
    this.#registries = db.collection('registries');
    this.#devices = db.collection('devices');
    this.#brokers = db.collection('brokers');
    this.#passwords = db.collection('passwords');
    this.#certificates = db.collection('certificates');
    this.#operations = db.collection('operations');
    this.#accessTokens = db.collection('access_tokens');
    this.#dataStreamExports = db.collection('data_stream_exports');
    this.#serviceAccounts = db.collection('service_accounts');
    this.#serviceAccountKeys = db.collection('service_account_keys');
    this.#triggers = db.collection('triggers');
    this.#monitoring = new MonitoringWrites(this.#devices, monitoringSaveMs);
  }

  async createIndexes(): Promise<void> {
    await this.#registries.createIndex({ folder_id: 1, name: 1 }, { unique: true, name: 'folder_name' });
    await this.#brokers.createIndex({ folder_id: 1, name: 1 }, { unique: true, name: 'folder_name' });
    for (const { name, key, ...options } of DEVICE_INDEXES) await this.#devices.createIndex(key, { name, ...options });
    // Replaced by folder_order, which also serves folder-wide pages in ID order.
    await this.#devices.dropIndex('folder').catch(() => undefined);
    await backfillAliasFields(this.db, this.#devices);
    await this.#passwords.createIndex({ owner_id: 1 }, { name: 'owner' });
    await this.#certificates.createIndex({ owner_id: 1 }, { name: 'owner' });
    await this.#operations.createIndex({ resource_id: 1, _id: 1 }, { name: 'resource' });
    await this.#accessTokens.createIndex({ hash: 1 }, { unique: true, name: 'hash' });
    // One export per registry, also when two replicas add one at the same time.
    await this.#dataStreamExports.createIndex({ registry_id: 1 }, { unique: true, name: 'registry' });
    await this.#serviceAccounts.createIndex({ folder_id: 1, name: 1 }, { unique: true, name: 'folder_name' });
    await this.#serviceAccountKeys.createIndex({ service_account_id: 1 }, { name: 'service_account' });
    await this.#triggers.createIndex({ folder_id: 1 }, { name: 'folder' });
    await this.#triggers.createIndex({ 'source.id': 1 }, { name: 'source' });
  }

  // Registries ---------------------------------------------------------------------------------

  async createRegistry(registry: RegistryRecord, credentials: InitialCredentials) {
    await this.#createOwner(
      this.#registries,
      'registry',
      registry,
      credentials,
      `name: registry "${registry.name}" already exists in folder ${registry.folder_id}`,
    );
  }

  async getRegistry(id: string) {
    return strip(await this.#registries.findOne({ _id: id }));
  }

  async getRegistryByName(folderId: string, name: string) {
    return strip(await this.#registries.findOne({ folder_id: folderId, name }));
  }

  listRegistries(folderId: string, page: PageRequest) {
    return this.#page(this.#registries, { folder_id: folderId }, page);
  }

  countRegistries(folderId: string) {
    return this.#registries.countDocuments({ folder_id: folderId });
  }

  async updateRegistry(registry: RegistryRecord) {
    await this.#replace(
      this.#registries,
      'registry',
      registry,
      { folder_id: registry.folder_id, name: registry.name },
      `name: registry "${registry.name}" already exists in folder ${registry.folder_id}`,
    );
  }

  async deleteRegistry(id: string) {
    if (!(await this.#registries.findOne({ _id: id }))) throw notFound(`registry ${id} not found`);
    // Without transactions a device created between this check and the delete would be orphaned;
    // device creation checks the registry again after inserting, and removes itself if it is gone.
    const devices = await this.#devices.countDocuments({ registry_id: id });
    if (devices > 0) throw failedPrecondition(`registry ${id} still has ${devices} device(s); delete them first`);
    await this.#deleteOwner(this.#registries, id);
    await this.#dataStreamExports.deleteMany({ registry_id: id });
  }

  // Devices ------------------------------------------------------------------------------------

  async createDevice(device: DeviceRecord, credentials: InitialCredentials) {
    const registry = await this.#registries.findOne({ _id: device.registry_id });
    if (!registry) throw notFound(`registry ${device.registry_id} not found`);
    // folder_id is denormalised onto devices so folder-wide listing and quotas need no join.
    await this.#createOwner(
      this.#devices,
      'device',
      deviceDocument(device, registry.folder_id),
      credentials,
      `name: device "${device.name}" already exists in registry ${device.registry_id}`,
    );
    if (!(await this.#registries.findOne({ _id: device.registry_id }))) {
      await this.#deleteOwner(this.#devices, device.id);
      throw notFound(`registry ${device.registry_id} not found`);
    }
  }

  async getDevice(id: string) {
    return this.#monitoring.current(deviceRecord(await this.#devices.findOne({ _id: id })));
  }

  async getDeviceByName(registryId: string, name: string) {
    return this.#monitoring.current(deviceRecord(await this.#devices.findOne({ registry_id: registryId, name })));
  }

  async listDevices(scope: { registry_id: string } | { folder_id: string }, page: PageRequest): Promise<Page<DeviceRecord>> {
    const after = decodePageToken(page.page_token);
    const query = after === undefined ? scope : { ...scope, _id: { $gt: after } };
    const documents = await this.#devices
      .find(query)
      .sort({ _id: 1 })
      .limit(page.page_size + 1)
      .toArray();
    return pageFromSorted(
      documents.map((document) => this.#monitoring.current(deviceRecord(document))!),
      (device) => device.id,
      page,
    );
  }

  countDevices(scope: { registry_id: string } | { folder_id: string }) {
    return this.#devices.countDocuments(scope);
  }

  async updateDevice(device: DeviceRecord) {
    const current = await this.#devices.findOne({ _id: device.id }, { projection: { folder_id: 1 } });
    if (!current) throw notFound(`device ${device.id} not found`);
    await this.#replace(
      this.#devices,
      'device',
      deviceDocument(device, current.folder_id),
      { registry_id: device.registry_id, name: device.name },
      `name: device "${device.name}" already exists in registry ${device.registry_id}`,
    );
  }

  async recordDeviceMonitoring(reports: ReadonlyArray<{ device_id: string; patch: DeviceMonitoringRecord }>) {
    this.#monitoring.record(reports);
  }

  async deleteDevice(id: string) {
    if (!(await this.#devices.findOne({ _id: id }))) throw notFound(`device ${id} not found`);
    await this.#deleteOwner(this.#devices, id);
  }

  async listAliases(registryId: string) {
    return aliasRecords(await this.#devices.find(aliasedDevicesFilter(registryId), { projection: { topic_aliases: 1 } }).toArray());
  }

  async findAliasConflicts(registryId: string, exceptDeviceId: string, aliases: string[]) {
    return findAliasConflicts(this.#devices, registryId, exceptDeviceId, aliases);
  }

  // Brokers ------------------------------------------------------------------------------------

  async createBroker(broker: BrokerRecord, credentials: InitialCredentials) {
    await this.#createOwner(
      this.#brokers,
      'broker',
      broker,
      credentials,
      `name: broker "${broker.name}" already exists in folder ${broker.folder_id}`,
    );
  }

  async getBroker(id: string) {
    return strip(await this.#brokers.findOne({ _id: id }));
  }

  listBrokers(folderId: string, page: PageRequest) {
    return this.#page(this.#brokers, { folder_id: folderId }, page);
  }

  countBrokers(folderId: string) {
    return this.#brokers.countDocuments({ folder_id: folderId });
  }

  async updateBroker(broker: BrokerRecord) {
    await this.#replace(
      this.#brokers,
      'broker',
      broker,
      { folder_id: broker.folder_id, name: broker.name },
      `name: broker "${broker.name}" already exists in folder ${broker.folder_id}`,
    );
  }

  async deleteBroker(id: string) {
    if (!(await this.#brokers.findOne({ _id: id }))) throw notFound(`broker ${id} not found`);
    await this.#deleteOwner(this.#brokers, id);
  }

  // Credentials --------------------------------------------------------------------------------

  async addPassword(password: PasswordRecord) {
    await this.#assertOwner(password.owner_kind, password.owner_id);
    await this.#passwords.insertOne({ _id: password.id, ...password });
  }

  async listPasswords(ownerKind: OwnerKind, ownerId: string) {
    return (await this.#passwords.find({ owner_kind: ownerKind, owner_id: ownerId }).sort({ _id: 1 }).toArray()).map((p) => strip(p)!);
  }

  async getPassword(id: string) {
    return strip(await this.#passwords.findOne({ _id: id }));
  }

  async deletePassword(ownerKind: OwnerKind, ownerId: string, passwordId: string) {
    const result = await this.#passwords.deleteOne({ _id: passwordId, owner_kind: ownerKind, owner_id: ownerId });
    if (result.deletedCount === 0) throw notFound(`password ${passwordId} not found on ${ownerKind} ${ownerId}`);
  }

  async addCertificate(certificate: CertificateRecord) {
    await this.#assertOwner(certificate.owner_kind, certificate.owner_id);
    try {
      await this.#certificates.insertOne({ _id: certificate.fingerprint, ...certificate });
    } catch (error) {
      throw isDuplicateKey(error) ? certificateTaken(certificate.fingerprint) : error;
    }
  }

  async listCertificates(ownerKind: OwnerKind, ownerId: string) {
    return (await this.#certificates.find({ owner_kind: ownerKind, owner_id: ownerId }).sort({ _id: 1 }).toArray()).map((c) => strip(c)!);
  }

  async findCertificate(fingerprint: string) {
    return strip(await this.#certificates.findOne({ _id: fingerprint }));
  }

  async deleteCertificate(ownerKind: OwnerKind, ownerId: string, fingerprint: string) {
    const result = await this.#certificates.deleteOne({ _id: fingerprint, owner_kind: ownerKind, owner_id: ownerId });
    if (result.deletedCount === 0) throw notFound(`certificate ${fingerprint} not found on ${ownerKind} ${ownerId}`);
  }

  // Data stream exports ------------------------------------------------------------------------

  async createDataStreamExport(dataStreamExport: DataStreamExportRecord) {
    const registryId = dataStreamExport.registry_id;
    if (!(await this.#registries.findOne({ _id: registryId }))) throw notFound(`registry ${registryId} not found`);
    try {
      await this.#dataStreamExports.insertOne({ _id: dataStreamExport.id, ...dataStreamExport });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.#dataStreamExports.findOne({ registry_id: registryId });
      throw alreadyExists(`registry ${registryId} already has a data stream export (${existing?.id ?? 'another'}); delete it first`);
    }
    // Without transactions the registry may have been deleted meanwhile; then the export goes too.
    if (!(await this.#registries.findOne({ _id: registryId }))) {
      await this.#dataStreamExports.deleteOne({ _id: dataStreamExport.id });
      throw notFound(`registry ${registryId} not found`);
    }
  }

  async listDataStreamExports(registryId: string) {
    const documents = await this.#dataStreamExports.find({ registry_id: registryId }).sort({ _id: 1 }).toArray();
    return documents.map((document) => strip(document)!);
  }

  async deleteDataStreamExport(registryId: string, exportId: string) {
    const result = await this.#dataStreamExports.deleteOne({ _id: exportId, registry_id: registryId });
    if (result.deletedCount === 0) throw notFound(`data stream export ${exportId} not found in registry ${registryId}`);
  }

  // Operations ---------------------------------------------------------------------------------

  async putOperation(operation: OperationRecord) {
    // Operations are written once, when done: an insert needs no lookup (FerretDB's SQLite backend
    // answers an upsert's filter by reading the whole collection); replaced only if it exists.
    try {
      await this.#operations.insertOne({ _id: operation.id, ...operation });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await this.#operations.replaceOne({ _id: operation.id }, { ...operation } as never);
    }
  }

  async getOperation(id: string) {
    return reviveOperation(strip(await this.#operations.findOne({ _id: id })));
  }

  async listOperations(resourceId: string, page: PageRequest) {
    const result = await this.#page(this.#operations, { resource_id: resourceId }, page);
    return { items: result.items.map((operation) => reviveOperation(operation)!), next_page_token: result.next_page_token };
  }

  // Access tokens -------------------------------------------------------------------------------

  async createAccessToken(token: AccessTokenRecord) {
    try {
      await this.#accessTokens.insertOne({ _id: token.id, ...token });
    } catch (error) {
      throw isDuplicateKey(error) ? alreadyExists(`access token ${token.id} already exists`) : error;
    }
  }

  async getAccessToken(id: string) {
    return strip(await this.#accessTokens.findOne({ _id: id }));
  }

  async findAccessTokenByHash(hash: string) {
    return strip(await this.#accessTokens.findOne({ hash }));
  }

  async listAccessTokens() {
    const documents = await this.#accessTokens.find({}).sort({ _id: 1 }).toArray();
    return documents.map((document) => strip(document)!);
  }

  async deleteAccessToken(id: string) {
    const result = await this.#accessTokens.deleteOne({ _id: id });
    if (result.deletedCount === 0) throw notFound(`access token ${id} not found`);
  }

  // Triggers -----------------------------------------------------------------------------------

  async createTrigger(trigger: TriggerRecord) {
    try {
      await this.#triggers.insertOne({ _id: trigger.id, ...trigger });
    } catch (error) {
      throw isDuplicateKey(error) ? alreadyExists(`trigger ${trigger.id} already exists`) : error;
    }
  }

  async getTrigger(id: string) {
    return strip(await this.#triggers.findOne({ _id: id }));
  }

  async listTriggers(folderId: string) {
    return (await this.#triggers.find({ folder_id: folderId }).sort({ _id: 1 }).toArray()).map((document) => strip(document)!);
  }

  async listSourceTriggers(kind: 'registry' | 'broker', id: string) {
    const documents = await this.#triggers.find({ 'source.id': id, 'source.kind': kind }).sort({ _id: 1 }).toArray();
    return documents.map((document) => strip(document)!);
  }

  async listAllTriggers() {
    return (await this.#triggers.find({}).sort({ _id: 1 }).toArray()).map((document) => strip(document)!);
  }

  async deleteTrigger(id: string) {
    const result = await this.#triggers.deleteOne({ _id: id });
    if (result.deletedCount === 0) throw notFound(`trigger ${id} not found`);
  }

  // Service accounts ----------------------------------------------------------------------------

  async createServiceAccount(account: ServiceAccountRecord) {
    try {
      await this.#serviceAccounts.insertOne({ _id: account.id, ...account });
    } catch (error) {
      throw isDuplicateKey(error)
        ? alreadyExists(`name: service account "${account.name}" already exists in folder ${account.folder_id}`)
        : error;
    }
  }

  async getServiceAccount(id: string) {
    return strip(await this.#serviceAccounts.findOne({ _id: id }));
  }

  async listServiceAccounts() {
    return (await this.#serviceAccounts.find({}).sort({ _id: 1 }).toArray()).map((document) => strip(document)!);
  }

  async deleteServiceAccount(id: string) {
    // The account first: a key left behind by a failure in between authenticates nobody (a token
    // exchange needs the account), and a retry of the delete removes it.
    const result = await this.#serviceAccounts.deleteOne({ _id: id });
    await this.#serviceAccountKeys.deleteMany({ service_account_id: id });
    if (result.deletedCount === 0) throw notFound(`service account ${id} not found`);
  }

  async createServiceAccountKey(key: ServiceAccountKeyRecord) {
    if (!(await this.#serviceAccounts.findOne({ _id: key.service_account_id }, { projection: { _id: 1 } })))
      throw failedPrecondition(`service account ${key.service_account_id} not found`);
    try {
      await this.#serviceAccountKeys.insertOne({ _id: key.id, ...key });
    } catch (error) {
      throw isDuplicateKey(error) ? alreadyExists(`key ${key.id} already exists`) : error;
    }
  }

  async getServiceAccountKey(id: string) {
    return strip(await this.#serviceAccountKeys.findOne({ _id: id }));
  }

  async listServiceAccountKeys(serviceAccountId: string) {
    const documents = await this.#serviceAccountKeys.find({ service_account_id: serviceAccountId }).sort({ _id: 1 }).toArray();
    return documents.map((document) => strip(document)!);
  }

  async deleteServiceAccountKey(id: string) {
    const result = await this.#serviceAccountKeys.deleteOne({ _id: id });
    if (result.deletedCount === 0) throw notFound(`key ${id} not found`);
  }

  async ping() {
    await this.client.db('admin').command({ ping: 1 });
  }

  async close() {
    await this.#monitoring.close();
    if (this.ownsClient) await this.client.close();
  }

  // Shared paths -------------------------------------------------------------------------------

  async #page<T extends { id: string }>(collection: Collection<WithId<T>>, filter: object, page: PageRequest): Promise<Page<T>> {
    const after = decodePageToken(page.page_token);
    const query = after === undefined ? filter : { ...filter, _id: { $gt: after } };
    const documents = await collection
      .find(query as never)
      .sort({ _id: 1 })
      .limit(page.page_size + 1)
      .toArray();
    return pageFromSorted(
      documents.map((document) => strip(document as WithId<T>)!),
      (item) => item.id,
      page,
    );
  }

  async #createOwner<T extends { id: string }>(
    collection: Collection<WithId<T>>,
    kind: OwnerKind,
    owner: T,
    credentials: InitialCredentials,
    nameClash: string,
  ): Promise<void> {
    const insertedCertificates: string[] = [];
    try {
      for (const certificate of credentials.certificates) {
        try {
          await this.#certificates.insertOne({ _id: certificate.fingerprint, ...certificate });
        } catch (error) {
          throw isDuplicateKey(error) ? certificateTaken(certificate.fingerprint) : error;
        }
        insertedCertificates.push(certificate.fingerprint);
      }
      if (credentials.passwords.length > 0) {
        await this.#passwords.insertMany(credentials.passwords.map((password) => ({ _id: password.id, ...password })));
      }
      try {
        await collection.insertOne({ _id: owner.id, ...owner } as never);
      } catch (error) {
        throw isDuplicateKey(error) ? alreadyExists(nameClash) : error;
      }
    } catch (error) {
      await this.#certificates.deleteMany({ _id: { $in: insertedCertificates } });
      await this.#passwords.deleteMany({ _id: { $in: credentials.passwords.map((password) => password.id) }, owner_kind: kind });
      throw error;
    }
  }

  /**
   * Replaces a record. The unique index decides name clashes on MongoDB; FerretDB reports an
   * update's unique violation as a generic error, so a clash is also looked up explicitly.
   */
  async #replace<T extends { id: string }>(collection: Collection<WithId<T>>, kind: string, record: T, scope: object, nameClash: string) {
    const clash = await collection.findOne({ ...scope, _id: { $ne: record.id } } as never);
    if (clash) throw alreadyExists(nameClash);
    try {
      const result = await collection.replaceOne({ _id: record.id } as never, { _id: record.id, ...record } as never);
      if (result.matchedCount === 0) throw notFound(`${kind} ${record.id} not found`);
    } catch (error) {
      throw isDuplicateKey(error) ? alreadyExists(nameClash) : error;
    }
  }

  async #deleteOwner<T>(collection: Collection<WithId<T>>, id: string) {
    await collection.deleteOne({ _id: id } as never);
    await this.#passwords.deleteMany({ owner_id: id });
    await this.#certificates.deleteMany({ owner_id: id });
  }

  async #assertOwner(kind: OwnerKind, id: string) {
    const collection = kind === 'registry' ? this.#registries : kind === 'device' ? this.#devices : this.#brokers;
    if (!(await (collection as unknown as Collection<{ _id: string }>).findOne({ _id: id }))) throw notFound(`${kind} ${id} not found`);
  }
}

function strip<T>(document: WithId<T> | null): T | undefined {
  if (!document) return undefined;
  const { _id, ...record } = document;
  return record as T;
}

/** The driver returns BSON Binary for byte fields; records carry Uint8Array. */
function reviveOperation(record: OperationRecord | undefined): OperationRecord | undefined {
  if (!record) return undefined;
  const bytes = (packed: { type_url: string; value: unknown } | undefined) =>
    packed && { type_url: packed.type_url, value: toBytes(packed.value) };
  return { ...record, metadata: bytes(record.metadata), response: bytes(record.response) };
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const binary = value as { buffer?: Uint8Array; value?: () => Uint8Array };
  return binary.buffer instanceof Uint8Array ? new Uint8Array(binary.buffer) : new Uint8Array();
}
