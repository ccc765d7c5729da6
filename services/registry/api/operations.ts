// Yandex mutations are asynchronous and return an Operation. iotcore applies them synchronously,
// so every Operation is returned done, with the metadata and the resource packed as `Any`, and is
// kept for ListOperations and OperationService.Get.
import { Operation } from '../../generated/yandex/cloud/operation/operation.js';
import type { OperationRecord, PackedAny } from '../store/records.js';
import type { ResourceContext } from '../resources/context.js';
import type { Principal } from '../access/principal.js';

export interface Encoder<T> {
  encode(message: T): { finish(): Uint8Array };
}

export function pack<T>(typeName: string, codec: Encoder<T>, message: T): PackedAny {
  return { type_url: `type.googleapis.com/${typeName}`, value: codec.encode(message).finish() };
}

export const EMPTY_RESPONSE: PackedAny = { type_url: 'type.googleapis.com/google.protobuf.Empty', value: new Uint8Array() };

/** An operation done when answered, made by `caller` (its `created_by`). */
export async function completedOperation(
  ctx: ResourceContext,
  caller: Principal,
  input: { resource_id: string; description: string; metadata: PackedAny; response: PackedAny; folder_id?: string },
): Promise<Operation> {
  const now = ctx.now();
  const record: OperationRecord = {
    id: ctx.newId(),
    resource_id: input.resource_id,
    // Absent rather than undefined: MongoDB would store an undefined field as null.
    ...(input.folder_id && { folder_id: input.folder_id }),
    description: input.description,
    created_at: now,
    created_by: caller.name,
    modified_at: now,
    done: true,
    metadata: input.metadata,
    response: input.response,
  };
  await ctx.store.putOperation(record);
  return operationMessage(record);
}

export function operationMessage(record: OperationRecord): Operation {
  const any = (packed: PackedAny) => ({ type_url: packed.type_url, value: Buffer.from(packed.value) });
  return Operation.fromPartial({
    id: record.id,
    description: record.description,
    created_at: record.created_at,
    created_by: record.created_by,
    modified_at: record.modified_at,
    done: record.done,
    metadata: record.metadata ? any(record.metadata) : undefined,
    result: record.error
      ? { $case: 'error', value: { code: record.error.code, message: record.error.message, details: [] } }
      : record.response
        ? { $case: 'response', value: any(record.response) }
        : undefined,
  });
}
