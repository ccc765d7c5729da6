// Sends a folder snapshot to iotcore's ImportService (registries, their devices, then brokers),
// deciding which passwords go with each entity, and collects a report in snapshot order. A
// registry's devices go several at a time (ordered-pool.ts): the server hashes their passwords in
// parallel and round trips overlap. A resource that conflicts or fails is reported and the run goes
// on with the next one.
import { generatePassword } from '../registry/credentials/passwords.js';
import {
  ImportResult_Action,
  type Credentials,
  type ImportResult,
  type ImportServiceClient,
} from '../generated/iotcore/migration/v1/import.js';
import type { PromiseClient } from '../common/grpc-client.js';
import type { DataStreamExport } from '../generated/yandex/cloud/iot/devices/v1/registry.js';
import { entities, type CredentialSnapshot, type EntityKind, type FolderSnapshot } from './yandex-snapshot.js';
import type { GeneratedPasswordsFile, SuppliedPassword } from './password-sources.js';
import { planTrigger } from './yandex-triggers.js';
import { forEachInOrder } from './ordered-pool.js';
import { deviceClaims, devicesClash } from './device-clashes.js';

/** Device imports in flight at once: enough to keep the server's password hashing pool busy. */
const DEVICES_IN_FLIGHT = 8;

export interface ImportTarget {
  imports: PromiseClient<ImportServiceClient>;
  /** Password IDs iotcore already holds for an entity (none when it does not exist yet). */
  passwordIds(kind: EntityKind, id: string): Promise<string[]>;
  /** The registry's data stream exports in iotcore (none when the registry does not exist). */
  listExports(registryId: string): Promise<DataStreamExport[]>;
  addExport(dataStreamExport: DataStreamExport): Promise<void>;
}

export interface ImportOptions {
  dryRun: boolean;
  /** Put registries and brokers into this iotcore folder instead of their Yandex folder ID. */
  intoFolderId?: string;
  supplied: SuppliedPassword[];
  generate?: GeneratedPasswordsFile;
  onProgress?: (done: number, total: number) => void;
}

/** MANUAL: iotcore cannot make it alone (an IoT trigger: the user supplies its endpoint); SKIPPED: not an IoT Core resource. */
export type ReportAction = 'CREATE' | 'UPDATE' | 'UNCHANGED' | 'CONFLICT' | 'ERROR' | 'MANUAL' | 'SKIPPED';

export interface ResourceReport {
  kind: EntityKind | 'yds_export' | 'trigger';
  id: string;
  name: string;
  action: ReportAction;
  changes: string[];
  conflicts: string[];
  error?: string;
  /** Password IDs sent with a password from --passwords-file. */
  passwords_supplied: string[];
  /** Password IDs given a new password (written to the --generate-passwords file). */
  passwords_generated: string[];
  /** Yandex password IDs that stay without a password in iotcore. */
  passwords_missing: string[];
}

export interface ImportReport {
  dry_run: boolean;
  resources: ResourceReport[];
  /** Problems with --passwords-file rows (unknown entities or IDs); never the passwords. */
  password_warnings: string[];
  /** What was not read or needs the user's attention as a whole (e.g. triggers not in the source). */
  notes: string[];
}

export async function importSnapshot(snapshot: FolderSnapshot, target: ImportTarget, options: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { dry_run: options.dryRun, resources: [], password_warnings: [], notes: [] };
  const supplied = groupByEntity(options.supplied);
  const all = [...entities(snapshot)];
  const known = new Set(all.map((entity) => entity.id));
  for (const entityId of supplied.keys()) {
    if (!known.has(entityId)) report.password_warnings.push(`${entityId}: not in the Yandex data; its rows were ignored`);
  }

  let done = 0;
  const send = async (
    kind: EntityKind,
    id: string,
    name: string,
    credentials: CredentialSnapshot,
    request: (credentials: Credentials) => Promise<ImportResult>,
  ): Promise<ResourceReport> => {
    const row = emptyRow(kind, id, name);
    try {
      const passwords = await choosePasswords(
        target,
        options,
        { kind, id, credentials },
        supplied.get(id) ?? [],
        row,
        report.password_warnings,
      );
      const result = await request({
        certificates: credentials.certificates.map(({ fingerprint, certificate_data, created_at }) => ({
          fingerprint,
          certificate_data,
          created_at,
        })),
        passwords: passwords.map((password) => ({
          id: password.password_id!,
          password: password.password,
          created_at: credentials.passwords.find((p) => p.id === password.password_id)?.created_at,
        })),
      });
      row.action = ImportResult_Action[result.action] as ReportAction;
      row.changes = result.changes;
      row.conflicts = result.conflicts;
      const stored = !options.dryRun && (row.action === 'CREATE' || row.action === 'UPDATE');
      if (stored) options.generate?.append(passwords.filter((password) => row.passwords_generated.includes(password.password_id!)));
      if (!stored && !options.dryRun) {
        // Nothing was written, so nothing was generated either.
        row.passwords_missing.push(...row.passwords_generated);
        row.passwords_generated = [];
      }
    } catch (error) {
      row.error = (error as { details?: string }).details ?? (error as Error).message;
    }
    options.onProgress?.(++done, all.length);
    return row;
  };

  const folder = (yandexFolder: string) => options.intoFolderId ?? yandexFolder;
  for (const { registry, credentials, devices, exports } of snapshot.registries) {
    const registryRow = await send('registry', registry.id, registry.name, credentials, (c) =>
      target.imports.importRegistry({
        registry: { ...registry, folder_id: folder(registry.folder_id) },
        credentials: c,
        dry_run: options.dryRun,
      }),
    );
    report.resources.push(registryRow);
    for (const dataStreamExport of exports) report.resources.push(await importExport(target, options, registryRow, dataStreamExport));
    const deviceRows: ResourceReport[] = [];
    const claims = devices.map(deviceClaims);
    await forEachInOrder(claims, { inFlight: DEVICES_IN_FLIGHT, clashes: devicesClash }, async ({ snapshot }, index) => {
      const { device, credentials: deviceCredentials } = snapshot;
      deviceRows[index] = await send('device', device.id, device.name, deviceCredentials, (c) =>
        target.imports.importDevice({ device: { ...device, monitoring_data: undefined }, credentials: c, dry_run: options.dryRun }),
      );
    });
    report.resources.push(...deviceRows);
  }
  for (const { broker, credentials } of snapshot.brokers) {
    report.resources.push(
      await send('broker', broker.id, broker.name, credentials, (c) =>
        target.imports.importBroker({
          broker: { ...broker, folder_id: folder(broker.folder_id) },
          credentials: c,
          dry_run: options.dryRun,
        }),
      ),
    );
  }
  if (snapshot.triggers === undefined)
    report.notes.push(
      'IoT triggers were not read (the live API reads IoT Core only; a dump has them in triggers.json from `yc serverless trigger list`): recreate them with `iotcore trigger create`',
    );
  for (const json of snapshot.triggers ?? []) {
    const plan = planTrigger(json);
    report.resources.push({
      ...emptyRow('trigger', plan.id, plan.name),
      action: plan.kind === 'iot' ? 'MANUAL' : 'SKIPPED',
      changes: plan.command ? [plan.command, ...plan.needs] : plan.needs,
    });
  }
  return report;
}

function emptyRow(kind: ResourceReport['kind'], id: string, name: string): ResourceReport {
  return {
    kind,
    id,
    name,
    action: 'ERROR',
    changes: [],
    conflicts: [],
    passwords_supplied: [],
    passwords_generated: [],
    passwords_missing: [],
  };
}

/**
 * A registry's data stream export: made with AddDataStreamExport (which gives it a new ID, so the
 * Yandex ID is not kept), unless the registry already has the same one (a rerun: UNCHANGED) or
 * another one (Yandex allowed one per registry too: CONFLICT).
 */
async function importExport(
  target: ImportTarget,
  options: ImportOptions,
  registryRow: ResourceReport,
  dataStreamExport: DataStreamExport,
): Promise<ResourceReport> {
  const row = emptyRow('yds_export', dataStreamExport.id, dataStreamExport.name || dataStreamExport.stream);
  if (registryRow.action === 'CONFLICT' || registryRow.action === 'ERROR') {
    row.error = `its registry ${registryRow.id} was not imported`;
    return row;
  }
  try {
    const held = await target.listExports(dataStreamExport.registry_id);
    const same = held.find(
      (other) =>
        other.stream === dataStreamExport.stream &&
        other.database === dataStreamExport.database &&
        other.mqtt_topic_filter === dataStreamExport.mqtt_topic_filter,
    );
    if (same) {
      row.action = 'UNCHANGED';
      row.changes = [`imported as ${same.id}`];
    } else if (held.length > 0) {
      row.action = 'CONFLICT';
      row.conflicts = [`registry ${dataStreamExport.registry_id} already has data stream export ${held[0]!.id} (one per registry)`];
    } else {
      if (!options.dryRun) await target.addExport(dataStreamExport);
      row.action = 'CREATE';
      row.changes = [`stream ${dataStreamExport.stream} (a Kafka topic on --kafka-brokers); a new export ID`];
    }
  } catch (error) {
    row.error = (error as { details?: string }).details ?? (error as Error).message;
  }
  return row;
}

/**
 * Pairs the entity's Yandex password IDs with plaintexts: rows from --passwords-file first (their
 * password_id, else the next unused ID, oldest first); then, when the entity would otherwise have
 * no password at all, a generated one for its first ID.
 */
async function choosePasswords(
  target: ImportTarget,
  options: ImportOptions,
  entity: { kind: EntityKind; id: string; credentials: CredentialSnapshot },
  rows: SuppliedPassword[],
  report: ResourceReport,
  warnings: string[],
): Promise<SuppliedPassword[]> {
  const sourceIds = [...entity.credentials.passwords]
    .sort((a, b) => (a.created_at?.getTime() ?? 0) - (b.created_at?.getTime() ?? 0))
    .map((password) => password.id);
  const held = new Set(sourceIds.length > 0 ? await target.passwordIds(entity.kind, entity.id) : []);
  const chosen: SuppliedPassword[] = [];
  const taken = new Set<string>();
  for (const row of rows) {
    const passwordId = row.password_id ?? sourceIds.find((id) => !taken.has(id));
    if (!passwordId || !sourceIds.includes(passwordId)) {
      warnings.push(
        row.password_id
          ? `${entity.id}: password ID ${row.password_id} is not one of its Yandex password IDs; row ignored`
          : `${entity.id}: more rows than Yandex password IDs (${sourceIds.length}); extra rows ignored`,
      );
      continue;
    }
    if (taken.has(passwordId)) {
      warnings.push(`${entity.id}: two rows for password ID ${passwordId}; the later one ignored`);
      continue;
    }
    taken.add(passwordId);
    if (held.has(passwordId)) continue; // already imported: kept as it is
    chosen.push({ ...row, password_id: passwordId });
    report.passwords_supplied.push(passwordId);
  }
  const open = sourceIds.filter((id) => !taken.has(id) && !held.has(id));
  if (options.generate && open.length > 0 && held.size === 0 && chosen.length === 0) {
    const passwordId = open.shift()!;
    chosen.push({ entity_id: entity.id, password: generatePassword(), password_id: passwordId });
    report.passwords_generated.push(passwordId);
  }
  report.passwords_missing.push(...open);
  return chosen;
}

function groupByEntity(rows: SuppliedPassword[]): Map<string, SuppliedPassword[]> {
  const grouped = new Map<string, SuppliedPassword[]>();
  for (const row of rows) grouped.set(row.entity_id, [...(grouped.get(row.entity_id) ?? []), row]);
  return grouped;
}
