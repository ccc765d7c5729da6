// Data-plane Publish of devices, registries and brokers (docs/yandex-behaviour.md §3.9): injects a message on behalf of
// the named principal through the MQTT edge of this process, with the same ACL as MQTT. The caller
// needs the writer role on the folder of that principal (a scoped token) or is a bootstrap admin.
import { status } from '@grpc/grpc-js';
import {
  DeviceDataServiceService,
  PublishDeviceDataResponse,
  type DeviceDataServiceServer,
} from '../../generated/yandex/cloud/iot/devices/v1/device_data_service.js';
import {
  RegistryDataServiceService,
  PublishRegistryDataResponse,
  type RegistryDataServiceServer,
} from '../../generated/yandex/cloud/iot/devices/v1/registry_data_service.js';
import {
  BrokerDataServiceService,
  PublishBrokerDataResponse,
  type BrokerDataServiceServer,
} from '../../generated/yandex/cloud/iot/broker/v1/broker_data_service.js';
import { FieldError } from '../validation/field-error.js';
import { malformedTopicNameError } from '../../contracts/topic-name.js';
import { validateId } from '../validation/resource-fields.js';
import type { OwnerKind } from '../../contracts/principal.js';
import type { DataPlane } from '../../contracts/data-plane.js';
import { MAX_PAYLOAD_BYTES, MAX_SUBTOPIC_LENGTH } from '../../contracts/limits.js';
import { ApiError } from './errors.js';
import type { ResourceContext } from '../resources/context.js';
import { getDevice } from '../resources/devices.js';
import { getRegistry } from '../resources/registries.js';
import { getBroker } from '../resources/brokers.js';
import type { Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { deviceFolder } from './resource-folders.js';
import { unary, type HandlerContext } from './unary.js';

export type { DataPlane };

// Yandex has writer roles for devices and registries only; a broker publishes like a registry does
// (as the server side of its topics), so BrokerDataService needs iot.registries.writer.
const WRITER_ROLE: Record<OwnerKind, Role> = {
  device: 'iot.devices.writer',
  registry: 'iot.registries.writer',
  broker: 'iot.registries.writer',
};

export function dataServices(ctx: ResourceContext, handler: HandlerContext, dataPlane: () => DataPlane | undefined) {
  const folderOf = async (kind: OwnerKind, id: string): Promise<string> => {
    if (kind === 'device') return deviceFolder(ctx, await getDevice(ctx, id));
    return kind === 'registry' ? (await getRegistry(ctx, id)).folder_id : (await getBroker(ctx, id)).folder_id;
  };
  const publish = async (caller: Principal, kind: OwnerKind, idField: string, id: string, topic: string, data: Buffer) => {
    validateId(idField, id);
    if (!topic) throw new FieldError('topic', 'is required');
    if (topic.length > MAX_SUBTOPIC_LENGTH) throw new FieldError('topic', `must be at most ${MAX_SUBTOPIC_LENGTH} characters`);
    const malformed = malformedTopicNameError(topic);
    if (malformed) throw new FieldError('topic', malformed);
    if (data.length > MAX_PAYLOAD_BYTES) throw new FieldError('data', `must be at most ${MAX_PAYLOAD_BYTES} bytes`);
    // A bootstrap admin may publish everywhere, so its calls skip the store reads that find the
    // folder (the edge answers NOT_FOUND for an unknown ID, as it always did).
    if (caller.isBootstrapAdmin) caller.requireBootstrapAdmin();
    else caller.require(WRITER_ROLE[kind], await folderOf(kind, id));
    const plane = dataPlane();
    if (!plane)
      throw new ApiError(
        status.UNAVAILABLE,
        'no way to the MQTT edges from this process: a registry replica publishes through the cluster when given its --redis-url and --mongo-url',
      );
    await plane.publish({ kind, id }, topic, data);
  };
  const device: DeviceDataServiceServer = {
    publish: unary(handler, 'DeviceDataService.Publish', async (request, caller) => {
      await publish(caller, 'device', 'device_id', request.device_id, request.topic, request.data);
      return PublishDeviceDataResponse.fromPartial({});
    }),
  };
  const registry: RegistryDataServiceServer = {
    publish: unary(handler, 'RegistryDataService.Publish', async (request, caller) => {
      await publish(caller, 'registry', 'registry_id', request.registry_id, request.topic, request.data);
      return PublishRegistryDataResponse.fromPartial({});
    }),
  };
  const broker: BrokerDataServiceServer = {
    publish: unary(handler, 'BrokerDataService.Publish', async (request, caller) => {
      await publish(caller, 'broker', 'broker_id', request.broker_id, request.topic, request.data);
      return PublishBrokerDataResponse.fromPartial({});
    }),
  };
  return [
    { definition: DeviceDataServiceService, implementation: device },
    { definition: RegistryDataServiceService, implementation: registry },
    { definition: BrokerDataServiceService, implementation: broker },
  ];
}
