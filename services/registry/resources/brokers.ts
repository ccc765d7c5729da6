// Broker lifecycle rules (docs/yandex-behaviour.md §1.5): a folder-level virtual MQTT server with its own credentials.
import { validateId, validateResourceFields } from '../validation/resource-fields.js';
import { notFound } from '../store/contract.js';
import type { BrokerRecord, LogOptionsRecord } from '../store/records.js';
import type { ResourceContext } from './context.js';
import { checkQuota, keepWithinQuota } from './quota.js';
import { prepareInitialCredentials } from './credentials.js';
import { logOptionsAfter } from './log-options.js';
import { patchedWithLogOptions } from './registries.js';

export interface BrokerFields {
  name: string;
  description: string;
  labels: Record<string, string>;
  /** null: back to the default (an Update whose mask names them without a value). */
  log_options?: LogOptionsRecord | null;
}

export interface CreateBrokerInput extends BrokerFields {
  folder_id: string;
  certificates: string[];
  password?: string;
}

export async function createBroker(ctx: ResourceContext, input: CreateBrokerInput): Promise<BrokerRecord> {
  validateId('folder_id', input.folder_id);
  validateResourceFields(input, { nameRequired: true });
  const logOptions = logOptionsAfter(input.log_options ?? null, undefined, input.folder_id);
  const inFolder = () => ctx.store.countBrokers(input.folder_id);
  await checkQuota('brokers', ctx.quotas.brokers_per_folder, inFolder);
  const id = ctx.newId();
  const broker: BrokerRecord = {
    id,
    folder_id: input.folder_id,
    created_at: ctx.now(),
    name: input.name,
    description: input.description,
    labels: input.labels,
    log_options: logOptions,
  };
  const credentials = await prepareInitialCredentials(ctx, { kind: 'broker', id }, input);
  await ctx.store.createBroker(broker, credentials);
  await keepWithinQuota('brokers', ctx.quotas.brokers_per_folder, inFolder, () => deleteBroker(ctx, id));
  return broker;
}

export async function getBroker(ctx: ResourceContext, id: string): Promise<BrokerRecord> {
  validateId('broker_id', id);
  const broker = await ctx.store.getBroker(id);
  if (!broker) throw notFound(`broker ${id} not found`);
  return broker;
}

export async function updateBroker(ctx: ResourceContext, id: string, patch: Partial<BrokerFields>): Promise<BrokerRecord> {
  const updated = patchedWithLogOptions(await getBroker(ctx, id), patch);
  await ctx.store.updateBroker(updated);
  return updated;
}

export async function deleteBroker(ctx: ResourceContext, id: string): Promise<BrokerRecord> {
  const broker = await getBroker(ctx, id);
  await ctx.store.deleteBroker(id);
  ctx.events.revoke({ kind: 'BROKER_DELETED', entity_id: id, registry_id: '', credential_id: '' });
  return broker;
}
