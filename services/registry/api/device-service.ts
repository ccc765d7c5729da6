// yandex.cloud.iot.devices.v1.DeviceService.
import {
  DeviceServiceService,
  type DeviceServiceServer,
  CreateDeviceMetadata,
  UpdateDeviceMetadata,
  DeleteDeviceMetadata,
  AddDeviceCertificateMetadata,
  DeleteDeviceCertificateMetadata,
  AddDevicePasswordMetadata,
  DeleteDevicePasswordMetadata,
  ListDevicesResponse,
  ListDeviceCertificatesResponse,
  ListDevicePasswordsResponse,
  ListDeviceOperationsResponse,
} from '../../generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Device, DeviceCertificate, DevicePassword, DeviceView } from '../../generated/yandex/cloud/iot/devices/v1/device.js';
import { validateId, validatePaging } from '../validation/resource-fields.js';
import { FieldError } from '../validation/field-error.js';
import * as devices from '../resources/devices.js';
import type * as credentials from '../resources/credentials.js';
import type { ResourceContext } from '../resources/context.js';
import type { DeviceRecord } from '../store/records.js';
import { getRegistry } from '../resources/registries.js';
import type { Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { deviceFolder } from './resource-folders.js';
import { unary, type HandlerContext } from './unary.js';
import { credentialHandlers } from './credential-handlers.js';
import { completedOperation, EMPTY_RESPONSE, pack } from './operations.js';
import { listOperations } from './list-operations.js';
import { patchFromMask } from './update-mask.js';
import { deviceCertificateMessage, deviceMessage, devicePasswordMessage } from './messages.js';

const PKG = 'yandex.cloud.iot.devices.v1';
const MAX_DEVICE_PAGE = 20_000;

export function deviceService(ctx: ResourceContext, handler: HandlerContext) {
  /** The device, once the caller is known to hold `role` on its folder (its registry's). */
  const authorized = async (deviceId: string, caller: Principal, role: Role) => {
    const device = await devices.getDevice(ctx, deviceId);
    caller.require(role, await deviceFolder(ctx, device));
    return device;
  };
  const authorizedRegistry = async (registryId: string, caller: Principal, role: Role) => {
    const registry = await getRegistry(ctx, registryId);
    caller.require(role, registry.folder_id);
  };
  const owner = async (deviceId: string, caller: Principal, role: Role): Promise<credentials.Owner> => {
    const device = await authorized(deviceId, caller, role);
    return { kind: 'device', id: device.id, registry_id: device.registry_id };
  };
  const done = (caller: Principal, resourceId: string, description: string, metadata: ReturnType<typeof pack>, response = EMPTY_RESPONSE) =>
    completedOperation(ctx, caller, { resource_id: resourceId, description, metadata, response });
  const deviceResponse = (record: DeviceRecord) => pack(`${PKG}.Device`, Device, deviceMessage(record, false));
  const full = (view: DeviceView) => view === DeviceView.FULL;

  const implementation: DeviceServiceServer = {
    get: unary(handler, 'DeviceService.Get', async (request, caller) =>
      deviceMessage(await authorized(request.device_id, caller, 'iot.viewer'), full(request.device_view)),
    ),

    getByName: unary(handler, 'DeviceService.GetByName', async (request, caller) => {
      await authorizedRegistry(request.registry_id, caller, 'iot.viewer');
      return deviceMessage(await devices.getDeviceByName(ctx, request.registry_id, request.device_name), full(request.device_view));
    }),

    list: unary(handler, 'DeviceService.List', async (request, caller) => {
      const scope =
        request.id?.$case === 'registry_id'
          ? { registry_id: request.id.value }
          : request.id?.$case === 'folder_id'
            ? { folder_id: request.id.value }
            : undefined;
      if (!scope) throw new FieldError('id', 'exactly one of registry_id or folder_id is required');
      validateId(request.id!.$case, request.id!.value);
      if (request.id!.$case === 'registry_id') await authorizedRegistry(request.id!.value, caller, 'iot.viewer');
      else caller.require('iot.viewer', request.id!.value);
      const page_size = validatePaging(request.page_size, request.page_token, MAX_DEVICE_PAGE);
      const page = await ctx.store.listDevices(scope, { page_size, page_token: request.page_token });
      return ListDevicesResponse.fromPartial({
        devices: page.items.map((record) => deviceMessage(record, full(request.device_view))),
        next_page_token: page.next_page_token,
      });
    }),

    create: unary(handler, 'DeviceService.Create', async (request, caller) => {
      await authorizedRegistry(request.registry_id, caller, 'iot.editor');
      const record = await devices.createDevice(ctx, {
        registry_id: request.registry_id,
        name: request.name,
        description: request.description,
        topic_aliases: request.topic_aliases,
        labels: request.labels,
        certificates: request.certificates.map((certificate) => certificate.certificate_data),
        password: request.password || undefined,
      });
      return done(
        caller,
        record.id,
        'Create device',
        pack(`${PKG}.CreateDeviceMetadata`, CreateDeviceMetadata, CreateDeviceMetadata.fromPartial({ device_id: record.id })),
        deviceResponse(record),
      );
    }),

    update: unary(handler, 'DeviceService.Update', async (request, caller) => {
      await authorized(request.device_id, caller, 'iot.editor');
      const patch = patchFromMask(request, request.update_mask, ['name', 'description', 'topic_aliases', 'labels'] as const);
      const record = await devices.updateDevice(ctx, request.device_id, patch);
      return done(
        caller,
        record.id,
        'Update device',
        pack(`${PKG}.UpdateDeviceMetadata`, UpdateDeviceMetadata, UpdateDeviceMetadata.fromPartial({ device_id: record.id })),
        deviceResponse(record),
      );
    }),

    delete: unary(handler, 'DeviceService.Delete', async (request, caller) => {
      const folder = await deviceFolder(ctx, await authorized(request.device_id, caller, 'iot.editor'));
      const record = await devices.deleteDevice(ctx, request.device_id);
      return completedOperation(ctx, caller, {
        resource_id: record.id,
        folder_id: folder,
        description: 'Delete device',
        metadata: pack(`${PKG}.DeleteDeviceMetadata`, DeleteDeviceMetadata, DeleteDeviceMetadata.fromPartial({ device_id: record.id })),
        response: EMPTY_RESPONSE,
      });
    }),

    ...credentialHandlers<DeviceServiceServer>(ctx, handler, {
      pkg: PKG,
      entity: 'Device',
      owner,
      certificate: { type: DeviceCertificate, message: deviceCertificateMessage },
      password: { type: DevicePassword, message: devicePasswordMessage },
      types: {
        ListCertificatesResponse: ListDeviceCertificatesResponse,
        ListPasswordsResponse: ListDevicePasswordsResponse,
        AddCertificateMetadata: AddDeviceCertificateMetadata,
        DeleteCertificateMetadata: DeleteDeviceCertificateMetadata,
        AddPasswordMetadata: AddDevicePasswordMetadata,
        DeletePasswordMetadata: DeleteDevicePasswordMetadata,
      },
    }),

    listOperations: unary(handler, 'DeviceService.ListOperations', async (request, caller) => {
      const resource = await authorized(request.device_id, caller, 'iot.viewer');
      return ListDeviceOperationsResponse.fromPartial(await listOperations(ctx, resource, request));
    }),
  };
  return { definition: DeviceServiceService, implementation };
}
