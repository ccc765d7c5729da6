// Our generated definitions and fully populated samples (every field set, snake_case names).
import {
  RegistryServiceService,
  CreateRegistryRequest,
  UpdateRegistryRequest,
  ListRegistriesResponse,
} from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import {
  DeviceServiceService,
  CreateDeviceRequest,
  ListDevicesRequest,
} from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import {
  DeviceDataServiceService,
  PublishDeviceDataRequest,
} from '../../services/generated/yandex/cloud/iot/devices/v1/device_data_service.js';
import { RegistryDataServiceService } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_data_service.js';
import { BrokerServiceService, CreateBrokerRequest } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { BrokerDataServiceService } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_data_service.js';
import { OperationServiceService } from '../../services/generated/yandex/cloud/operation/operation_service.js';
import { Operation } from '../../services/generated/yandex/cloud/operation/operation.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { Broker } from '../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import {
  ApiEndpointServiceService,
  ListApiEndpointsResponse,
} from '../../services/generated/yandex/cloud/endpoint/api_endpoint_service.js';
import { CreateIamTokenRequest, CreateIamTokenResponse } from '../../services/generated/yandex/cloud/iam/v1/iam_token_service.js';

export const services = {
  RegistryService: RegistryServiceService,
  DeviceService: DeviceServiceService,
  DeviceDataService: DeviceDataServiceService,
  RegistryDataService: RegistryDataServiceService,
  BrokerService: BrokerServiceService,
  BrokerDataService: BrokerDataServiceService,
  OperationService: OperationServiceService,
  ApiEndpointService: ApiEndpointServiceService,
};

interface Codec {
  fromPartial(object: object): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

const messageTypes = {
  Registry,
  Device,
  Broker,
  Operation,
  CreateRegistryRequest,
  UpdateRegistryRequest,
  ListRegistriesResponse,
  CreateDeviceRequest,
  ListDevicesRequest,
  PublishDeviceDataRequest,
  CreateBrokerRequest,
  ListApiEndpointsResponse,
  CreateIamTokenRequest,
  CreateIamTokenResponse,
};
export const codecs = messageTypes as unknown as Record<keyof typeof messageTypes, Codec>;

const at = new Date('2026-11-25T10:00:00.123Z');
const logOptions = { disabled: true, destination: { $case: 'log_group_id' as const, value: 'group-1' }, min_level: 4 };
const registry = {
  id: 'are1',
  folder_id: 'f',
  created_at: at,
  name: 'r',
  description: 'd',
  labels: { a: 'b' },
  status: 4,
  log_group_id: 'lg',
  log_options: logOptions,
};

export const samples: Record<keyof typeof codecs, object> = {
  Registry: registry,
  Device: {
    id: 'are2',
    registry_id: 'are1',
    created_at: at,
    name: 'd',
    description: 'x',
    topic_aliases: { 'a/': '$devices/are2/' },
    status: 2,
    monitoring_data: {
      last_auth_ip: '1.2.3.4',
      last_auth_time: at,
      last_pub_activity_time: at,
      last_sub_activity_time: at,
      last_online_time: at,
      last_disconnect_time: at,
    },
    labels: { k: 'v' },
  },
  Broker: {
    id: 'are3',
    folder_id: 'f',
    created_at: at,
    name: 'b',
    description: 'd',
    labels: { a: 'b' },
    status: 2,
    log_options: { ...logOptions, destination: { $case: 'folder_id' as const, value: 'f' } },
  },
  Operation: {
    id: 'op',
    description: 'Create',
    created_at: at,
    created_by: 'me',
    modified_at: at,
    done: true,
    metadata: { type_url: 'type.googleapis.com/x', value: Buffer.from([1, 2]) },
    result: { $case: 'error' as const, value: { code: 9, message: 'no', details: [{ type_url: 't', value: Buffer.from([3]) }] } },
  },
  CreateRegistryRequest: {
    folder_id: 'f',
    name: 'n',
    description: 'd',
    labels: { a: 'b' },
    certificates: [{ certificate_data: 'pem' }],
    password: 'p',
    log_options: logOptions,
  },
  UpdateRegistryRequest: {
    registry_id: 'r',
    update_mask: ['name', 'labels'],
    name: 'n',
    description: 'd',
    labels: { a: 'b' },
    log_options: logOptions,
  },
  ListRegistriesResponse: { registries: [registry], next_page_token: 'tok' },
  CreateDeviceRequest: {
    registry_id: 'r',
    name: 'n',
    description: 'd',
    certificates: [{ certificate_data: 'pem' }],
    topic_aliases: { 'a/': 'b' },
    password: 'p',
    labels: { c: 'd' },
  },
  ListDevicesRequest: { id: { $case: 'folder_id' as const, value: 'f' }, page_size: 20000, page_token: 't', device_view: 1 },
  PublishDeviceDataRequest: { device_id: 'd', topic: '$devices/d/events', data: Buffer.from('payload') },
  CreateBrokerRequest: {
    folder_id: 'f',
    name: 'n',
    description: 'd',
    labels: { a: 'b' },
    certificates: [{ certificate_data: 'pem' }],
    password: 'p',
    log_options: logOptions,
  },
  ListApiEndpointsResponse: { endpoints: [{ id: 'iot-devices', address: 'iot.example.com:443' }], next_page_token: 'n' },
  CreateIamTokenRequest: { identity: { $case: 'jwt' as const, value: 'a.b.c' } },
  CreateIamTokenResponse: { iam_token: 't1.x.y', expires_at: at },
};
