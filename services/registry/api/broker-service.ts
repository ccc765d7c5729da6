// yandex.cloud.iot.broker.v1.BrokerService.
import {
  BrokerServiceService,
  type BrokerServiceServer,
  CreateBrokerMetadata,
  UpdateBrokerMetadata,
  DeleteBrokerMetadata,
  AddBrokerCertificateMetadata,
  DeleteBrokerCertificateMetadata,
  AddBrokerPasswordMetadata,
  DeleteBrokerPasswordMetadata,
  ListBrokersResponse,
  ListBrokerCertificatesResponse,
  ListBrokerPasswordsResponse,
  ListBrokerOperationsResponse,
} from '../../generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Broker, BrokerCertificate, BrokerPassword } from '../../generated/yandex/cloud/iot/broker/v1/broker.js';
import { validateId, validatePaging } from '../validation/resource-fields.js';
import * as brokers from '../resources/brokers.js';
import type * as credentials from '../resources/credentials.js';
import type { ResourceContext } from '../resources/context.js';
import type { BrokerRecord } from '../store/records.js';
import type { Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { unary, type HandlerContext } from './unary.js';
import { credentialHandlers } from './credential-handlers.js';
import { completedOperation, EMPTY_RESPONSE, pack } from './operations.js';
import { listOperations } from './list-operations.js';
import { patchFromMask } from './update-mask.js';
import { brokerCertificateMessage, brokerMessage, brokerPasswordMessage, logOptionsRecord } from './messages.js';

const PKG = 'yandex.cloud.iot.broker.v1';
const MAX_PAGE = 1000;

export function brokerService(ctx: ResourceContext, handler: HandlerContext) {
  /** The broker, once the caller is known to hold `role` on its folder. */
  const authorized = async (brokerId: string, caller: Principal, role: Role) => {
    const broker = await brokers.getBroker(ctx, brokerId);
    caller.require(role, broker.folder_id);
    return broker;
  };
  const owner = async (brokerId: string, caller: Principal, role: Role): Promise<credentials.Owner> => {
    const broker = await authorized(brokerId, caller, role);
    return { kind: 'broker', id: broker.id, registry_id: '' };
  };
  const done = (caller: Principal, resourceId: string, description: string, metadata: ReturnType<typeof pack>, response = EMPTY_RESPONSE) =>
    completedOperation(ctx, caller, { resource_id: resourceId, description, metadata, response });
  const brokerResponse = (record: BrokerRecord) => pack(`${PKG}.Broker`, Broker, brokerMessage(record));

  const implementation: BrokerServiceServer = {
    get: unary(handler, 'BrokerService.Get', async (request, caller) =>
      brokerMessage(await authorized(request.broker_id, caller, 'iot.viewer')),
    ),

    list: unary(handler, 'BrokerService.List', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.viewer', request.folder_id);
      const page_size = validatePaging(request.page_size, request.page_token, MAX_PAGE);
      const page = await ctx.store.listBrokers(request.folder_id, { page_size, page_token: request.page_token });
      return ListBrokersResponse.fromPartial({ brokers: page.items.map(brokerMessage), next_page_token: page.next_page_token });
    }),

    create: unary(handler, 'BrokerService.Create', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.editor', request.folder_id);
      const record = await brokers.createBroker(ctx, {
        folder_id: request.folder_id,
        name: request.name,
        description: request.description,
        labels: request.labels,
        certificates: request.certificates.map((certificate) => certificate.certificate_data),
        password: request.password || undefined,
        log_options: logOptionsRecord(request.log_options),
      });
      return done(
        caller,
        record.id,
        'Create broker',
        pack(`${PKG}.CreateBrokerMetadata`, CreateBrokerMetadata, CreateBrokerMetadata.fromPartial({ broker_id: record.id })),
        brokerResponse(record),
      );
    }),

    update: unary(handler, 'BrokerService.Update', async (request, caller) => {
      await authorized(request.broker_id, caller, 'iot.editor');
      const patch = patchFromMask(request, request.update_mask, ['name', 'description', 'labels', 'log_options'] as const);
      const record = await brokers.updateBroker(ctx, request.broker_id, {
        name: patch.name,
        description: patch.description,
        labels: patch.labels,
        log_options: 'log_options' in patch ? (logOptionsRecord(patch.log_options) ?? null) : undefined,
      });
      return done(
        caller,
        record.id,
        'Update broker',
        pack(`${PKG}.UpdateBrokerMetadata`, UpdateBrokerMetadata, UpdateBrokerMetadata.fromPartial({ broker_id: record.id })),
        brokerResponse(record),
      );
    }),

    delete: unary(handler, 'BrokerService.Delete', async (request, caller) => {
      await authorized(request.broker_id, caller, 'iot.editor');
      const record = await brokers.deleteBroker(ctx, request.broker_id);
      return completedOperation(ctx, caller, {
        resource_id: record.id,
        folder_id: record.folder_id,
        description: 'Delete broker',
        metadata: pack(`${PKG}.DeleteBrokerMetadata`, DeleteBrokerMetadata, DeleteBrokerMetadata.fromPartial({ broker_id: record.id })),
        response: EMPTY_RESPONSE,
      });
    }),

    ...credentialHandlers<BrokerServiceServer>(ctx, handler, {
      pkg: PKG,
      entity: 'Broker',
      owner,
      certificate: { type: BrokerCertificate, message: brokerCertificateMessage },
      password: { type: BrokerPassword, message: brokerPasswordMessage },
      types: {
        ListCertificatesResponse: ListBrokerCertificatesResponse,
        ListPasswordsResponse: ListBrokerPasswordsResponse,
        AddCertificateMetadata: AddBrokerCertificateMetadata,
        DeleteCertificateMetadata: DeleteBrokerCertificateMetadata,
        AddPasswordMetadata: AddBrokerPasswordMetadata,
        DeletePasswordMetadata: DeleteBrokerPasswordMetadata,
      },
    }),

    listOperations: unary(handler, 'BrokerService.ListOperations', async (request, caller) => {
      const resource = await authorized(request.broker_id, caller, 'iot.viewer');
      return ListBrokerOperationsResponse.fromPartial(await listOperations(ctx, resource, request));
    }),
  };
  return { definition: BrokerServiceService, implementation };
}
