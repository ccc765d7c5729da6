// Triggers to HTTP: validation and storage. The rules of filters, endpoints and dead letters are in
// contracts/trigger.ts, shared with the edges (matching) and the delivery workers (requests).
import { randomBytes } from 'node:crypto';
import {
  brokerFilterError,
  deadLetterTopicError,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_INTERVAL_MS,
  type DeadLetterDestination,
  endpointUrlError,
  MAX_CUTOFF_MS,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_INTERVAL_MS,
  MAX_TRIGGER_BATCH_SIZE,
  MIN_CUTOFF_MS,
  MIN_RETRY_INTERVAL_MS,
  registryFilterError,
  resolveAlias,
} from '../../contracts/trigger.js';
import { kafkaTopicError } from '../../contracts/data-stream-export.js';
import { notFound } from '../store/contract.js';
import type { TriggerRecord } from '../store/records.js';
import { FieldError } from '../validation/field-error.js';
import { validateDescription, validateId, validateName } from '../validation/resource-fields.js';
import type { ResourceContext } from './context.js';

const MAX_BEARER_TOKEN_LENGTH = 4096;

export interface CreateTriggerInput {
  name: string;
  description: string;
  source: { kind: 'registry' | 'broker'; id: string };
  device_id: string;
  mqtt_topic: string;
  /** 0: the default (1). */
  batch_size: number;
  /** Unset: the default (1 s). */
  batch_cutoff_ms?: number;
  /** Unset: the defaults (3 retries, 10 s). */
  retry?: { attempts: number; interval_ms?: number };
  url: string;
  bearer_token: string;
  dead_letter?: DeadLetterDestination;
}

/** `iots_` and 43 base64url characters (256 random bits): the HMAC key of the signature header. */
export function newSigningSecret(): string {
  return `iots_${randomBytes(32).toString('base64url')}`;
}

/** The folder of the trigger's registry or broker (the trigger's folder); NOT_FOUND when there is none. */
export async function sourceFolder(ctx: ResourceContext, source: CreateTriggerInput['source']): Promise<string> {
  validateId(`${source.kind}_id`, source.id);
  const owner = source.kind === 'registry' ? await ctx.store.getRegistry(source.id) : await ctx.store.getBroker(source.id);
  if (!owner) throw notFound(`${source.kind} ${source.id} not found`);
  return owner.folder_id;
}

/** Checks everything, stores nothing on any error; the secret is in the record (shown once by the API). */
export async function createTrigger(ctx: ResourceContext, folderId: string, input: CreateTriggerInput): Promise<TriggerRecord> {
  validateName('name', input.name, { required: false });
  validateDescription('description', input.description);
  const filter = await canonicalFilter(ctx, input);
  const rule = { id: '', device_id: input.device_id, filter };
  const batchSize = input.batch_size === 0 ? 1 : input.batch_size;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_TRIGGER_BATCH_SIZE)
    throw new FieldError('batch_settings.size', `must be 1-${MAX_TRIGGER_BATCH_SIZE} (Yandex's limit)`);
  const cutoff = input.batch_cutoff_ms ?? MIN_CUTOFF_MS;
  if (cutoff < MIN_CUTOFF_MS || cutoff > MAX_CUTOFF_MS) throw new FieldError('batch_settings.cutoff', 'must be 1-60 s');
  const attempts = input.retry?.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > MAX_RETRY_ATTEMPTS)
    throw new FieldError('retry_settings.retry_attempts', `must be 0-${MAX_RETRY_ATTEMPTS}`);
  const interval = input.retry?.interval_ms ?? DEFAULT_RETRY_INTERVAL_MS;
  if (interval < MIN_RETRY_INTERVAL_MS || interval > MAX_RETRY_INTERVAL_MS)
    throw new FieldError('retry_settings.interval', 'must be 0.1-60 s');
  const urlError = endpointUrlError(input.url);
  if (urlError) throw new FieldError('http_endpoint.url', urlError);
  if (input.bearer_token.length > MAX_BEARER_TOKEN_LENGTH || /[\r\n]/.test(input.bearer_token))
    throw new FieldError('http_endpoint.bearer_token', `must be one line of at most ${MAX_BEARER_TOKEN_LENGTH} characters`);
  if (input.dead_letter?.kind === 'mqtt_topic') {
    const error = deadLetterTopicError(input.dead_letter.value, input.source, rule);
    if (error) throw new FieldError('dead_letter.mqtt_topic', error);
  } else if (input.dead_letter?.kind === 'kafka_topic') {
    const error = kafkaTopicError(input.dead_letter.value);
    if (error) throw new FieldError('dead_letter.kafka_topic', error);
  }
  const record: TriggerRecord = {
    id: ctx.newId(),
    folder_id: folderId,
    created_at: ctx.now(),
    name: input.name,
    description: input.description,
    source: input.source,
    device_id: input.device_id,
    mqtt_topic: input.mqtt_topic,
    filter,
    batch_size: batchSize,
    batch_cutoff_ms: cutoff,
    retry_attempts: attempts,
    retry_interval_ms: interval,
    url: input.url,
    bearer_token: input.bearer_token,
    signing_secret: newSigningSecret(),
    ...(input.dead_letter && { dead_letter: input.dead_letter }),
  };
  await ctx.store.createTrigger(record);
  return record;
}

/** The filter the edges match on: `mqtt_topic` itself, or the canonical topic an alias stands for. */
async function canonicalFilter(ctx: ResourceContext, input: CreateTriggerInput): Promise<string> {
  const topic = input.mqtt_topic;
  if (input.source.kind === 'broker') {
    if (input.device_id) throw new FieldError('device_id', 'broker triggers take no device');
    const error = topic && brokerFilterError(topic);
    if (error) throw new FieldError('mqtt_topic', error);
    return topic;
  }
  if (input.device_id) {
    validateId('device_id', input.device_id);
    const device = await ctx.store.getDevice(input.device_id);
    if (device?.registry_id !== input.source.id) throw notFound(`device ${input.device_id} not found in registry ${input.source.id}`);
  }
  if (!topic) return '';
  const aliased = topic.startsWith('$') ? undefined : resolveAlias(topic, await ctx.store.listAliases(input.source.id));
  const filter = aliased ?? topic;
  const error = registryFilterError(filter, input.source.id);
  if (error) throw new FieldError('mqtt_topic', aliased ? `${error} (alias resolved to ${aliased})` : error);
  return filter;
}
