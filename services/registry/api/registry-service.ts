// yandex.cloud.iot.devices.v1.RegistryService: thin mapping between wire messages and the
// registry rules in resources/.
import {
  RegistryServiceService,
  type RegistryServiceServer,
  CreateRegistryMetadata,
  UpdateRegistryMetadata,
  DeleteRegistryMetadata,
  DisableRegistryMetadata,
  EnableRegistryMetadata,
  AddRegistryCertificateMetadata,
  DeleteRegistryCertificateMetadata,
  AddRegistryPasswordMetadata,
  DeleteRegistryPasswordMetadata,
  ListRegistriesResponse,
  ListRegistryCertificatesResponse,
  ListRegistryPasswordsResponse,
  ListDeviceTopicAliasesResponse,
  ListRegistryOperationsResponse,
  AddDataStreamExportMetadata,
  DeleteDataStreamExportMetadata,
  ListDataStreamExportsResponse,
} from '../../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DataStreamExport, Registry, RegistryCertificate, RegistryPassword } from '../../generated/yandex/cloud/iot/devices/v1/registry.js';
import { validateId, validatePaging } from '../validation/resource-fields.js';
import * as registries from '../resources/registries.js';
import type * as credentials from '../resources/credentials.js';
import { listRegistryAliases } from '../resources/devices.js';
import { addDataStreamExport, deleteDataStreamExport } from '../resources/data-stream-exports.js';
import type { ResourceContext } from '../resources/context.js';
import type { Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { FieldError } from '../validation/field-error.js';
import { unary, type HandlerContext } from './unary.js';
import { credentialHandlers } from './credential-handlers.js';
import { completedOperation, EMPTY_RESPONSE, pack } from './operations.js';
import { listOperations } from './list-operations.js';
import { patchFromMask } from './update-mask.js';
import {
  dataStreamExportMessage,
  deviceAliasMessage,
  logOptionsRecord,
  registryCertificateMessage,
  registryMessage,
  registryPasswordMessage,
} from './messages.js';

const PKG = 'yandex.cloud.iot.devices.v1';
const MAX_PAGE = 1000;

export function registryService(ctx: ResourceContext, handler: HandlerContext) {
  /** The registry, once the caller is known to hold `role` on its folder. */
  const authorized = async (registryId: string, caller: Principal, role: Role) => {
    const registry = await registries.getRegistry(ctx, registryId);
    caller.require(role, registry.folder_id);
    return registry;
  };
  const owner = async (registryId: string, caller: Principal, role: Role): Promise<credentials.Owner> => {
    const registry = await authorized(registryId, caller, role);
    return { kind: 'registry', id: registry.id, registry_id: registry.id };
  };
  const done = (caller: Principal, resourceId: string, description: string, metadata: ReturnType<typeof pack>, response = EMPTY_RESPONSE) =>
    completedOperation(ctx, caller, { resource_id: resourceId, description, metadata, response });
  const registryResponse = (record: Parameters<typeof registryMessage>[0]) => pack(`${PKG}.Registry`, Registry, registryMessage(record));

  const implementation: RegistryServiceServer = {
    get: unary(handler, 'RegistryService.Get', async (request, caller) =>
      registryMessage(await authorized(request.registry_id, caller, 'iot.viewer')),
    ),

    getByName: unary(handler, 'RegistryService.GetByName', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.viewer', request.folder_id);
      return registryMessage(await registries.getRegistryByName(ctx, request.folder_id, request.registry_name));
    }),

    list: unary(handler, 'RegistryService.List', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.viewer', request.folder_id);
      const page_size = validatePaging(request.page_size, request.page_token, MAX_PAGE);
      const page = await ctx.store.listRegistries(request.folder_id, { page_size, page_token: request.page_token });
      return ListRegistriesResponse.fromPartial({ registries: page.items.map(registryMessage), next_page_token: page.next_page_token });
    }),

    create: unary(handler, 'RegistryService.Create', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('iot.editor', request.folder_id);
      const record = await registries.createRegistry(ctx, {
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
        'Create device registry',
        pack(`${PKG}.CreateRegistryMetadata`, CreateRegistryMetadata, CreateRegistryMetadata.fromPartial({ registry_id: record.id })),
        registryResponse(record),
      );
    }),

    update: unary(handler, 'RegistryService.Update', async (request, caller) => {
      await authorized(request.registry_id, caller, 'iot.editor');
      const patch = patchFromMask(request, request.update_mask, ['name', 'description', 'labels', 'log_options'] as const);
      const record = await registries.updateRegistry(ctx, request.registry_id, {
        name: patch.name,
        description: patch.description,
        labels: patch.labels,
        log_options: 'log_options' in patch ? (logOptionsRecord(patch.log_options) ?? null) : undefined,
      });
      return done(
        caller,
        record.id,
        'Update device registry',
        pack(`${PKG}.UpdateRegistryMetadata`, UpdateRegistryMetadata, UpdateRegistryMetadata.fromPartial({ registry_id: record.id })),
        registryResponse(record),
      );
    }),

    delete: unary(handler, 'RegistryService.Delete', async (request, caller) => {
      await authorized(request.registry_id, caller, 'iot.editor');
      const record = await registries.deleteRegistry(ctx, request.registry_id);
      return completedOperation(ctx, caller, {
        resource_id: record.id,
        folder_id: record.folder_id,
        description: 'Delete device registry',
        metadata: pack(
          `${PKG}.DeleteRegistryMetadata`,
          DeleteRegistryMetadata,
          DeleteRegistryMetadata.fromPartial({ registry_id: record.id }),
        ),
        response: EMPTY_RESPONSE,
      });
    }),

    disable: unary(handler, 'RegistryService.Disable', async (request, caller) => {
      await authorized(request.registry_id, caller, 'iot.editor');
      const record = await registries.setRegistryEnabled(ctx, request.registry_id, false);
      return done(
        caller,
        record.id,
        'Disable device registry',
        pack(`${PKG}.DisableRegistryMetadata`, DisableRegistryMetadata, DisableRegistryMetadata.fromPartial({ registry_id: record.id })),
        registryResponse(record),
      );
    }),

    enable: unary(handler, 'RegistryService.Enable', async (request, caller) => {
      await authorized(request.registry_id, caller, 'iot.editor');
      const record = await registries.setRegistryEnabled(ctx, request.registry_id, true);
      return done(
        caller,
        record.id,
        'Enable device registry',
        pack(`${PKG}.EnableRegistryMetadata`, EnableRegistryMetadata, EnableRegistryMetadata.fromPartial({ registry_id: record.id })),
        registryResponse(record),
      );
    }),

    ...credentialHandlers<RegistryServiceServer>(ctx, handler, {
      pkg: PKG,
      entity: 'Registry',
      owner,
      certificate: { type: RegistryCertificate, message: registryCertificateMessage },
      password: { type: RegistryPassword, message: registryPasswordMessage },
      types: {
        ListCertificatesResponse: ListRegistryCertificatesResponse,
        ListPasswordsResponse: ListRegistryPasswordsResponse,
        AddCertificateMetadata: AddRegistryCertificateMetadata,
        DeleteCertificateMetadata: DeleteRegistryCertificateMetadata,
        AddPasswordMetadata: AddRegistryPasswordMetadata,
        DeletePasswordMetadata: DeleteRegistryPasswordMetadata,
      },
    }),

    listDeviceTopicAliases: unary(handler, 'RegistryService.ListDeviceTopicAliases', async (request, caller) => {
      const { id } = await owner(request.registry_id, caller, 'iot.viewer');
      const page_size = validatePaging(request.page_size, request.page_token, MAX_PAGE);
      const all = await listRegistryAliases(ctx, id);
      // A token is the offset of the page's first alias, as this call wrote it.
      if (request.page_token && !/^[1-9][0-9]{0,8}$/.test(request.page_token))
        throw new FieldError('page_token', 'is not a token returned by a previous call');
      const start = request.page_token ? Number(request.page_token) : 0;
      const slice = all.slice(start, start + page_size);
      const next = start + page_size < all.length ? String(start + page_size) : '';
      return ListDeviceTopicAliasesResponse.fromPartial({ aliases: slice.map(deviceAliasMessage), next_page_token: next });
    }),

    listOperations: unary(handler, 'RegistryService.ListOperations', async (request, caller) => {
      const resource = await authorized(request.registry_id, caller, 'iot.viewer');
      const page = await listOperations(ctx, resource, request);
      return ListRegistryOperationsResponse.fromPartial(page);
    }),

    listDataStreamExports: unary(handler, 'RegistryService.ListDataStreamExports', async (request, caller) => {
      const { id } = await authorized(request.registry_id, caller, 'iot.viewer');
      const records = await ctx.store.listDataStreamExports(id);
      return ListDataStreamExportsResponse.fromPartial({ data_stream_exports: records.map(dataStreamExportMessage) });
    }),

    addDataStreamExport: unary(handler, 'RegistryService.AddDataStreamExport', async (request, caller) => {
      const { id } = await authorized(request.registry_id, caller, 'iot.editor');
      const record = await addDataStreamExport(ctx, {
        registry_id: id,
        name: request.name,
        mqtt_topic_filter: request.mqtt_topic_filter,
        database: request.database,
        stream: request.stream,
        service_account_id: request.service_account_id,
      });
      const metadata = AddDataStreamExportMetadata.fromPartial({ registry_id: id, data_stream_export_id: record.id });
      return done(
        caller,
        id,
        'Add data stream export',
        pack(`${PKG}.AddDataStreamExportMetadata`, AddDataStreamExportMetadata, metadata),
        pack(`${PKG}.DataStreamExport`, DataStreamExport, dataStreamExportMessage(record)),
      );
    }),

    deleteDataStreamExport: unary(handler, 'RegistryService.DeleteDataStreamExport', async (request, caller) => {
      const { id } = await authorized(request.registry_id, caller, 'iot.editor');
      await deleteDataStreamExport(ctx, id, request.data_stream_export_id);
      const metadata = DeleteDataStreamExportMetadata.fromPartial({
        registry_id: id,
        data_stream_export_id: request.data_stream_export_id,
      });
      return done(
        caller,
        id,
        'Delete data stream export',
        pack(`${PKG}.DeleteDataStreamExportMetadata`, DeleteDataStreamExportMetadata, metadata),
      );
    }),
  };
  return { definition: RegistryServiceService, implementation };
}
