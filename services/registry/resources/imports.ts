// Imports of resources whose IDs were chosen elsewhere (Yandex IoT Core): the only path that takes
// an ID from outside, so a migrated device keeps its username, topics and certificates.
//
// Each import is planned in full before anything is written: every rule that a normal Create or
// Update enforces is checked, and a broken rule becomes a conflict that leaves the resource alone.
// Re-importing the same snapshot finds nothing to change (UNCHANGED). Imports only add: credentials
// present here but absent in the source are kept, and an existing password ID is never re-hashed.
import { assertPasswordStrength, hashPassword } from '../credentials/passwords.js';
import { parseCertificate } from '../credentials/certificates.js';
import { validateId, validateResourceFields, validateTime } from '../validation/resource-fields.js';
import { normalizeTopicAliases } from '../validation/topic-aliases.js';
import type { BrokerRecord, CertificateRecord, DeviceRecord, OwnerKind, PasswordRecord, RegistryRecord } from '../store/records.js';
import type { InitialCredentials } from '../store/contract.js';
import { QuotaExceededError, type ResourceContext } from './context.js';
import { FieldError } from '../validation/field-error.js';
import { assertAliasesFree, deleteDevice, keepAliasesIfStillFree, restoreAliases } from './devices.js';
import { deleteRegistry } from './registries.js';
import { deleteBroker } from './brokers.js';
import { checkQuota, keepWithinQuota } from './quota.js';
import { comparable } from './comparable.js';
import { validateLogOptions } from './log-options.js';

export interface ImportedCertificate {
  /** As the source reported it; must equal the certificate's own SHA-1. */
  fingerprint: string;
  certificate_data: string;
  created_at?: Date;
}

export interface ImportedPassword {
  id: string;
  created_at?: Date;
  password: string;
}

export interface ImportedCredentials {
  certificates: ImportedCertificate[];
  passwords: ImportedPassword[];
}

export type ImportAction = 'CREATE' | 'UPDATE' | 'UNCHANGED' | 'CONFLICT';

export interface ImportOutcome {
  action: ImportAction;
  changes: string[];
  conflicts: string[];
}

interface Owner {
  kind: OwnerKind;
  id: string;
}

/** What an import would write, collected before writing anything. */
class ImportPlan {
  readonly changes: string[] = [];
  readonly conflicts: string[] = [];
  readonly certificates: CertificateRecord[] = [];
  readonly passwords: ImportedPassword[] = [];
  recordChanged = false;

  constructor(readonly owner: Owner) {}

  /** Runs a validation and turns its error into a conflict. */
  check(rule: () => void): void {
    try {
      rule();
    } catch (error) {
      this.conflicts.push((error as Error).message);
    }
  }

  /** As check(), for rules that read the store; errors of the store itself still fail the import. */
  async checkAsync(rule: () => Promise<void>): Promise<void> {
    try {
      await rule();
    } catch (error) {
      if (error instanceof FieldError || error instanceof QuotaExceededError) this.conflicts.push(error.message);
      else throw error;
    }
  }

  compare<T extends object>(current: T, incoming: T, fields: Array<keyof T & string>): void {
    for (const field of fields) {
      const before = comparable(current[field]);
      const after = comparable(incoming[field]);
      if (before !== after) {
        this.recordChanged = true;
        this.changes.push(`${field}: ${before ?? '(none)'} -> ${after ?? '(none)'}`);
      }
    }
  }
}

export async function importRegistry(
  ctx: ResourceContext,
  incoming: RegistryRecord,
  credentials: ImportedCredentials,
  dryRun: boolean,
): Promise<ImportOutcome> {
  validateId('registry.id', incoming.id);
  validateTimes('registry', incoming, credentials);
  validateId('registry.folder_id', incoming.folder_id);
  const plan = new ImportPlan({ kind: 'registry', id: incoming.id });
  plan.check(() => validateCommonFields('registry', incoming));
  const registriesInFolder = () => ctx.store.countRegistries(incoming.folder_id);
  const existing = await ctx.store.getRegistry(incoming.id);
  if (existing) {
    if (existing.folder_id !== incoming.folder_id)
      plan.conflicts.push(`registry ${incoming.id} already exists in folder ${existing.folder_id}`);
    plan.compare(existing, incoming, ['name', 'description', 'labels', 'status', 'log_options', 'created_at']);
  } else {
    await plan.checkAsync(() => checkQuota('registries', ctx.quotas.registries_per_folder, registriesInFolder));
  }
  const namesake = await ctx.store.getRegistryByName(incoming.folder_id, incoming.name);
  if (namesake && namesake.id !== incoming.id)
    plan.conflicts.push(`name "${incoming.name}" is taken by registry ${namesake.id} in folder ${incoming.folder_id}`);
  await planCredentials(ctx, plan, credentials);
  const outcome = await apply(ctx, plan, existing !== undefined, dryRun, {
    create: async (initial) => {
      await ctx.store.createRegistry(incoming, initial);
      await keepWithinQuota('registries', ctx.quotas.registries_per_folder, registriesInFolder, () => deleteRegistry(ctx, incoming.id));
    },
    update: () => ctx.store.updateRegistry(incoming),
  });
  if (!dryRun && existing && existing.status !== 'DISABLED' && incoming.status === 'DISABLED' && outcome.action === 'UPDATE') {
    ctx.events.revoke({ kind: 'REGISTRY_DISABLED', entity_id: incoming.id, registry_id: incoming.id, credential_id: '' });
  }
  return outcome;
}

/** `incoming.topic_aliases` may use `{id}`; they are stored resolved, as a normal Create does. */
export async function importDevice(
  ctx: ResourceContext,
  incoming: DeviceRecord,
  credentials: ImportedCredentials,
  dryRun: boolean,
): Promise<ImportOutcome> {
  validateId('device.id', incoming.id);
  validateTimes('device', incoming, credentials);
  validateId('device.registry_id', incoming.registry_id);
  const plan = new ImportPlan({ kind: 'device', id: incoming.id });
  plan.check(() => validateCommonFields('device', incoming));
  let device = incoming;
  plan.check(() => {
    device = { ...incoming, topic_aliases: normalizeTopicAliases(incoming.id, incoming.topic_aliases) };
  });
  const registry = await ctx.store.getRegistry(incoming.registry_id);
  // In a dry run the registry may be one that the same run would create first.
  if (!registry && !dryRun) plan.conflicts.push(`registry ${incoming.registry_id} does not exist; import it first`);
  // Asked only once the registry is known to exist (a missing one is a conflict: nothing is created).
  const devicesInFolder = () => ctx.store.countDevices({ folder_id: registry!.folder_id });
  const existing = await ctx.store.getDevice(incoming.id);
  if (existing) {
    device = { ...device, monitoring: existing.monitoring };
    if (existing.registry_id !== incoming.registry_id)
      plan.conflicts.push(`device ${incoming.id} already exists in registry ${existing.registry_id}`);
    plan.compare(existing, device, ['name', 'description', 'labels', 'topic_aliases', 'created_at']);
  } else if (registry) {
    await plan.checkAsync(() => checkQuota('devices', ctx.quotas.devices_per_folder, devicesInFolder));
  }
  if (registry) {
    const namesake = await ctx.store.getDeviceByName(registry.id, incoming.name);
    if (namesake && namesake.id !== incoming.id)
      plan.conflicts.push(`name "${incoming.name}" is taken by device ${namesake.id} in registry ${registry.id}`);
    await plan.checkAsync(() => assertAliasesFree(ctx, registry.id, device.id, device.topic_aliases));
  }
  await planCredentials(ctx, plan, credentials);
  const outcome = await apply(ctx, plan, existing !== undefined, dryRun, {
    create: async (initial) => {
      await ctx.store.createDevice(device, initial);
      await keepAliasesIfStillFree(ctx, device, () => deleteDevice(ctx, device.id));
      await keepWithinQuota('devices', ctx.quotas.devices_per_folder, devicesInFolder, () => deleteDevice(ctx, device.id));
    },
    update: async () => {
      await ctx.store.updateDevice(device);
      await keepAliasesIfStillFree(ctx, device, () => restoreAliases(ctx, device, existing!.topic_aliases));
    },
  });
  if (!dryRun && existing && outcome.action === 'UPDATE' && comparable(existing.topic_aliases) !== comparable(device.topic_aliases)) {
    ctx.events.revoke({ kind: 'DEVICE_ALIASES_CHANGED', entity_id: device.id, registry_id: device.registry_id, credential_id: '' });
  }
  return outcome;
}

export async function importBroker(
  ctx: ResourceContext,
  incoming: BrokerRecord,
  credentials: ImportedCredentials,
  dryRun: boolean,
): Promise<ImportOutcome> {
  validateId('broker.id', incoming.id);
  validateTimes('broker', incoming, credentials);
  validateId('broker.folder_id', incoming.folder_id);
  const plan = new ImportPlan({ kind: 'broker', id: incoming.id });
  plan.check(() => validateCommonFields('broker', incoming));
  const brokersInFolder = () => ctx.store.countBrokers(incoming.folder_id);
  const existing = await ctx.store.getBroker(incoming.id);
  if (existing) {
    if (existing.folder_id !== incoming.folder_id)
      plan.conflicts.push(`broker ${incoming.id} already exists in folder ${existing.folder_id}`);
    plan.compare(existing, incoming, ['name', 'description', 'labels', 'log_options', 'created_at']);
  } else {
    await plan.checkAsync(() => checkQuota('brokers', ctx.quotas.brokers_per_folder, brokersInFolder));
  }
  const namesake = await findBrokerByName(ctx, incoming.folder_id, incoming.name);
  if (namesake && namesake.id !== incoming.id)
    plan.conflicts.push(`name "${incoming.name}" is taken by broker ${namesake.id} in folder ${incoming.folder_id}`);
  await planCredentials(ctx, plan, credentials);
  return apply(ctx, plan, existing !== undefined, dryRun, {
    create: async (initial) => {
      await ctx.store.createBroker(incoming, initial);
      await keepWithinQuota('brokers', ctx.quotas.brokers_per_folder, brokersInFolder, () => deleteBroker(ctx, incoming.id));
    },
    update: () => ctx.store.updateBroker(incoming),
  });
}

/** Checked before anything compares or stores them (a bad time cannot even be compared). */
function validateTimes(kind: string, record: { created_at: Date }, credentials: ImportedCredentials): void {
  validateTime(`${kind}.created_at`, record.created_at);
  for (const [index, certificate] of credentials.certificates.entries())
    validateTime(`credentials.certificates[${index}].created_at`, certificate.created_at);
  for (const [index, password] of credentials.passwords.entries())
    validateTime(`credentials.passwords[${index}].created_at`, password.created_at);
}

function validateCommonFields(
  kind: string,
  record: { name: string; description: string; labels: Record<string, string>; log_options?: RegistryRecord['log_options'] },
): void {
  validateResourceFields(record, { nameRequired: true, prefix: `${kind}.` });
  if (record.log_options) validateLogOptions(`${kind}.log_options`, record.log_options);
}

async function planCredentials(ctx: ResourceContext, plan: ImportPlan, credentials: ImportedCredentials): Promise<void> {
  const { owner } = plan;
  const seen = new Set<string>();
  for (const [index, certificate] of credentials.certificates.entries()) {
    let parsed: { fingerprint: string; pem: string };
    try {
      parsed = parseCertificate(`certificates[${index}]`, certificate.certificate_data);
    } catch (error) {
      plan.conflicts.push(`certificate ${certificate.fingerprint || index}: ${(error as Error).message}`);
      continue;
    }
    const { fingerprint } = parsed;
    if (certificate.fingerprint && certificate.fingerprint.toLowerCase() !== fingerprint) {
      plan.conflicts.push(`certificate ${certificate.fingerprint}: the certificate's SHA-1 fingerprint is ${fingerprint}`);
      continue;
    }
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    const attached = await ctx.store.findCertificate(fingerprint);
    if (attached && (attached.owner_kind !== owner.kind || attached.owner_id !== owner.id)) {
      plan.conflicts.push(`certificate ${fingerprint} is already attached to ${attached.owner_kind} ${attached.owner_id}`);
    } else if (!attached) {
      plan.certificates.push({
        fingerprint,
        owner_kind: owner.kind,
        owner_id: owner.id,
        certificate_data: parsed.pem,
        created_at: certificate.created_at ?? ctx.now(),
      });
      plan.changes.push(`certificate +${fingerprint}`);
    }
  }
  for (const password of credentials.passwords) {
    try {
      validateId('password.id', password.id);
    } catch (error) {
      plan.conflicts.push((error as Error).message);
      continue;
    }
    const stored = await ctx.store.getPassword(password.id);
    if (stored && (stored.owner_kind !== owner.kind || stored.owner_id !== owner.id)) {
      plan.conflicts.push(`password ID ${password.id} belongs to ${stored.owner_kind} ${stored.owner_id}`);
    } else if (!stored) {
      plan.check(() => assertPasswordStrength(`password ${password.id}`, password.password));
      plan.passwords.push(password);
      plan.changes.push(`password +${password.id}`);
    }
  }
}

interface RecordWriter {
  create(credentials: InitialCredentials): Promise<void>;
  update(): Promise<void>;
}

async function apply(
  ctx: ResourceContext,
  plan: ImportPlan,
  exists: boolean,
  dryRun: boolean,
  writer: RecordWriter,
): Promise<ImportOutcome> {
  const outcome = (action: ImportAction): ImportOutcome => ({ action, changes: plan.changes, conflicts: plan.conflicts });
  if (plan.conflicts.length > 0) return outcome('CONFLICT');
  const action: ImportAction = !exists ? 'CREATE' : plan.changes.length > 0 ? 'UPDATE' : 'UNCHANGED';
  if (dryRun || action === 'UNCHANGED') return outcome(action);

  const { owner } = plan;
  const passwords: PasswordRecord[] = await Promise.all(
    plan.passwords.map(async (password) => ({
      id: password.id,
      owner_kind: owner.kind,
      owner_id: owner.id,
      hash: await hashPassword(password.password),
      created_at: password.created_at ?? ctx.now(),
    })),
  );
  if (!exists) {
    await writer.create({ passwords, certificates: plan.certificates });
    await vouchFor(ctx, owner.id, plan.passwords);
    return outcome(action);
  }
  // No transactions on every backend: undo what this import added if a later write fails.
  const undo: Array<() => Promise<void>> = [];
  try {
    for (const certificate of plan.certificates) {
      await ctx.store.addCertificate(certificate);
      undo.push(() => ctx.store.deleteCertificate(owner.kind, owner.id, certificate.fingerprint));
    }
    for (const password of passwords) {
      await ctx.store.addPassword(password);
      undo.push(() => ctx.store.deletePassword(owner.kind, owner.id, password.id));
    }
    if (plan.recordChanged) await writer.update();
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
  await vouchFor(ctx, owner.id, plan.passwords);
  return outcome(action);
}

/**
 * Imported passwords count as verified once stored: a fleet pointed at iotcore right after its
 * import connects without one slow hash per device (README, connect storms).
 */
async function vouchFor(ctx: ResourceContext, entityId: string, passwords: ImportedPassword[]): Promise<void> {
  const vouch = ctx.vouchPassword;
  if (vouch) await Promise.all(passwords.map((password) => vouch(entityId, password.password, password.id)));
}

async function findBrokerByName(ctx: ResourceContext, folderId: string, name: string): Promise<BrokerRecord | undefined> {
  let page_token = '';
  do {
    const page = await ctx.store.listBrokers(folderId, { page_size: 1000, page_token });
    const found = page.items.find((broker) => broker.name === name);
    if (found) return found;
    page_token = page.next_page_token;
  } while (page_token);
  return undefined;
}
