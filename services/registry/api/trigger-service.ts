// iotcore.triggers.v1.TriggerService: triggers to HTTP. A trigger lives in the folder of its
// registry or broker: `iot.editor` there makes and deletes one, `iot.viewer` reads it. Its signing
// secret is returned by Create only; the bearer token never.
import { status } from '@grpc/grpc-js';
import {
  CreateTriggerResponse,
  DeleteTriggerResponse,
  ListTriggersResponse,
  type Trigger,
  TriggerServiceService,
  type CreateTriggerRequest,
  type TriggerServiceServer,
} from '../../generated/iotcore/triggers/v1/triggers.js';
import type { Duration } from '../../generated/google/protobuf/duration.js';
import type { DeadLetterDestination } from '../../contracts/trigger.js';
import * as triggers from '../resources/triggers.js';
import type { ResourceContext } from '../resources/context.js';
import type { TriggerRecord } from '../store/records.js';
import { FieldError } from '../validation/field-error.js';
import { validateId } from '../validation/resource-fields.js';
import { ApiError } from './errors.js';
import { unary, type HandlerContext } from './unary.js';

export function triggerService(ctx: ResourceContext, handler: HandlerContext) {
  const stored = async (id: string) => {
    validateId('trigger_id', id);
    const record = await ctx.store.getTrigger(id);
    if (!record) throw new ApiError(status.NOT_FOUND, `trigger ${id} not found`);
    return record;
  };
  const implementation: TriggerServiceServer = {
    create: unary(handler, 'TriggerService.Create', async (request, caller) => {
      const input = createInput(request);
      const folderId = await triggers.sourceFolder(ctx, input.source);
      caller.require('iot.editor', folderId);
      const record = await triggers.createTrigger(ctx, folderId, input);
      return CreateTriggerResponse.fromPartial({ trigger: triggerMessage(record), signing_secret: record.signing_secret });
    }),

    get: unary(handler, 'TriggerService.Get', async (request, caller) => {
      const record = await stored(request.trigger_id);
      caller.require('iot.viewer', record.folder_id);
      return triggerMessage(record);
    }),

    list: unary(handler, 'TriggerService.List', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.viewer', request.folder_id);
      const records = await ctx.store.listTriggers(request.folder_id);
      return ListTriggersResponse.fromPartial({ triggers: records.map(triggerMessage) });
    }),

    delete: unary(handler, 'TriggerService.Delete', async (request, caller) => {
      const record = await stored(request.trigger_id);
      caller.require('iot.editor', record.folder_id);
      await ctx.store.deleteTrigger(record.id);
      return DeleteTriggerResponse.fromPartial({});
    }),
  };
  return { definition: TriggerServiceService, implementation };
}

function createInput(request: CreateTriggerRequest): triggers.CreateTriggerInput {
  const rule = request.rule;
  if (!rule) throw new FieldError('rule', 'iot_message (registry_id) or iot_broker_message (broker_id) is required');
  const source =
    rule.$case === 'iot_message'
      ? { kind: 'registry' as const, id: rule.value.registry_id, device_id: rule.value.device_id }
      : { kind: 'broker' as const, id: rule.value.broker_id, device_id: '' };
  const destination = request.dead_letter?.destination;
  const deadLetter: DeadLetterDestination | undefined = destination && { kind: destination.$case, value: destination.value };
  const retry = request.retry_settings;
  return {
    name: request.name,
    description: request.description,
    source: { kind: source.kind, id: source.id },
    device_id: source.device_id,
    mqtt_topic: rule.value.mqtt_topic,
    batch_size: request.batch_settings?.size ?? 0,
    batch_cutoff_ms: millis(request.batch_settings?.cutoff),
    retry: retry && { attempts: retry.retry_attempts, interval_ms: millis(retry.interval) },
    url: request.http_endpoint?.url ?? '',
    bearer_token: request.http_endpoint?.bearer_token ?? '',
    dead_letter: deadLetter,
  };
}

function millis(duration: Duration | undefined): number | undefined {
  return duration && duration.seconds * 1000 + Math.round(duration.nanos / 1e6);
}

function duration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function triggerMessage(record: TriggerRecord): Trigger {
  const { source } = record;
  const rule: Trigger['rule'] =
    source.kind === 'registry'
      ? { $case: 'iot_message', value: { registry_id: source.id, device_id: record.device_id, mqtt_topic: record.mqtt_topic } }
      : { $case: 'iot_broker_message', value: { broker_id: source.id, mqtt_topic: record.mqtt_topic } };
  return {
    id: record.id,
    folder_id: record.folder_id,
    created_at: record.created_at,
    name: record.name,
    description: record.description,
    rule,
    batch_settings: { size: record.batch_size, cutoff: duration(record.batch_cutoff_ms) },
    retry_settings: { retry_attempts: record.retry_attempts, interval: duration(record.retry_interval_ms) },
    http_endpoint: { url: record.url, bearer_token: '' },
    dead_letter: record.dead_letter ? { destination: { $case: record.dead_letter.kind, value: record.dead_letter.value } } : undefined,
    has_bearer_token: record.bearer_token !== '',
  };
}
