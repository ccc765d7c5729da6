// yandex.cloud.operation.OperationService: every iotcore operation is already done.
import { status } from '@grpc/grpc-js';
import { OperationServiceService, type OperationServiceServer } from '../../generated/yandex/cloud/operation/operation_service.js';
import { validateId } from '../validation/resource-fields.js';
import type { ResourceContext } from '../resources/context.js';
import type { Principal } from '../access/principal.js';
import { ApiError } from './errors.js';
import { operationFolder } from './resource-folders.js';
import { operationMessage } from './operations.js';
import { unary, type HandlerContext } from './unary.js';

export function operationService(ctx: ResourceContext, handler: HandlerContext) {
  /** The operation, for a caller who may view the resource it acted on. */
  const find = async (id: string, caller: Principal) => {
    validateId('operation_id', id);
    const record = await ctx.store.getOperation(id);
    if (!record) throw new ApiError(status.NOT_FOUND, `operation ${id} not found`);
    const folder = await operationFolder(ctx, record);
    if (folder === undefined) caller.requireBootstrapAdmin();
    else caller.require('iot.viewer', folder);
    return operationMessage(record);
  };
  const implementation: OperationServiceServer = {
    get: unary(handler, 'OperationService.Get', async (request, caller) => find(request.operation_id, caller)),
    // Nothing is ever pending, so cancelling returns the finished operation unchanged.
    cancel: unary(handler, 'OperationService.Cancel', async (request, caller) => find(request.operation_id, caller)),
  };
  return { definition: OperationServiceService, implementation };
}
