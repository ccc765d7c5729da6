// Data stream exports of a registry (Yandex's AddDataStreamExport & co.): validation and storage.
// The rules of filter and stream are in contracts/data-stream-export.ts, shared with the edges.
import { exportFilterError, kafkaTopicError, MAX_EXPORT_DATABASE_LENGTH } from '../../contracts/data-stream-export.js';
import type { DataStreamExportRecord } from '../store/records.js';
import { FieldError } from '../validation/field-error.js';
import { validateId, validateName } from '../validation/resource-fields.js';
import type { ResourceContext } from './context.js';

export interface AddDataStreamExportInput {
  registry_id: string;
  name: string;
  mqtt_topic_filter: string;
  database: string;
  stream: string;
  service_account_id: string;
}

export async function addDataStreamExport(ctx: ResourceContext, input: AddDataStreamExportInput): Promise<DataStreamExportRecord> {
  validateName('name', input.name, { required: false });
  const filterError = exportFilterError(input.mqtt_topic_filter, input.registry_id);
  if (filterError) throw new FieldError('mqtt_topic_filter', filterError);
  if (!input.database) throw new FieldError('database', 'is required');
  if (input.database.length > MAX_EXPORT_DATABASE_LENGTH)
    throw new FieldError('database', `must be at most ${MAX_EXPORT_DATABASE_LENGTH} characters`);
  const streamError = kafkaTopicError(input.stream);
  if (streamError) throw new FieldError('stream', streamError);
  // Yandex requires it (the account that writes to the stream); iotcore writes with its own Kafka
  // settings, so it is optional here and kept only for round trips.
  if (input.service_account_id) validateId('service_account_id', input.service_account_id);
  const record: DataStreamExportRecord = { id: ctx.newId(), created_at: ctx.now(), ...input };
  await ctx.store.createDataStreamExport(record);
  return record;
}

export async function deleteDataStreamExport(ctx: ResourceContext, registryId: string, exportId: string): Promise<void> {
  validateId('data_stream_export_id', exportId);
  await ctx.store.deleteDataStreamExport(registryId, exportId);
}
