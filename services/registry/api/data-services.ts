// Data-plane Publish of devices, registries and brokers (docs/yandex-behaviour.md §3.9): injects a message on behalf of
// the named principal through the MQTT edge of this process, with the same ACL as MQTT.
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
import { validateId } from '../validation/resource-fields.js';
import type { OwnerKind } from '../../contracts/principal.js';
import type { DataPlane } from '../../contracts/data-plane.js';
import { MAX_PAYLOAD_BYTES, MAX_SUBTOPIC_LENGTH } from '../../contracts/limits.js';
import { ApiError } from './errors.js';
import { unary, type HandlerContext } from './unary.js';

export type { DataPlane };

export function dataServices(handler: HandlerContext, dataPlane: () => DataPlane | undefined) {
  const publish = async (kind: OwnerKind, idField: string, id: string, topic: string, data: Buffer) => {
    validateId(idField, id);
    if (!topic) throw new FieldError('topic', 'is required');
    if (topic.length > MAX_SUBTOPIC_LENGTH) throw new FieldError('topic', `must be at most ${MAX_SUBTOPIC_LENGTH} characters`);
    if (data.length > MAX_PAYLOAD_BYTES) throw new FieldError('data', `must be at most ${MAX_PAYLOAD_BYTES} bytes`);
    const plane = dataPlane();
    if (!plane)
      throw new ApiError(
        status.UNAVAILABLE,
        'no way to the MQTT edges from this process: a registry replica publishes through the cluster when given its --redis-url and --mongo-url',
      );
    await plane.publish({ kind, id }, topic, data);
  };
  const device: DeviceDataServiceServer = {
    publish: unary(handler, 'DeviceDataService.Publish', async (request) => {
      await publish('device', 'device_id', request.device_id, request.topic, request.data);
      return PublishDeviceDataResponse.fromPartial({});
    }),
  };
  const registry: RegistryDataServiceServer = {
    publish: unary(handler, 'RegistryDataService.Publish', async (request) => {
      await publish('registry', 'registry_id', request.registry_id, request.topic, request.data);
      return PublishRegistryDataResponse.fromPartial({});
    }),
  };
  const broker: BrokerDataServiceServer = {
    publish: unary(handler, 'BrokerDataService.Publish', async (request) => {
      await publish('broker', 'broker_id', request.broker_id, request.topic, request.data);
      return PublishBrokerDataResponse.fromPartial({});
    }),
  };
  return [
    { definition: DeviceDataServiceService, implementation: device },
    { definition: RegistryDataServiceService, implementation: registry },
    { definition: BrokerDataServiceService, implementation: broker },
  ];
}
