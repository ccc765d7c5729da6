// yandex.cloud.operation.OperationService: every iotcore operation is already done.
import { status } from '@grpc/grpc-js';
import { OperationServiceService, type OperationServiceServer } from '../../generated/yandex/cloud/operation/operation_service.js';
import { validateId } from '../validation/resource-fields.js';
import type { ResourceContext } from '../resources/context.js';
import { ApiError } from './errors.js';
import { operationMessage } from './operations.js';
import { unary, type HandlerContext } from './unary.js';

export function operationService(ctx: ResourceContext, handler: HandlerContext) {
  const find = async (id: string) => {
    validateId('operation_id', id);
    const record = await ctx.store.getOperation(id);
    if (!record) throw new ApiError(status.NOT_FOUND, `operation ${id} not found`);
    return operationMessage(record);
  };
  const implementation: OperationServiceServer = {
    get: unary(handler, 'OperationService.Get', async (request) => find(request.operation_id)),
    // Nothing is ever pending, so cancelling returns the finished operation unchanged.
    cancel: unary(handler, 'OperationService.Cancel', async (request) => find(request.operation_id)),
  };
  return { definition: OperationServiceService, implementation };
}
