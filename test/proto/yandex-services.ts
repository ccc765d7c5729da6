// The same services and messages as generated from Yandex's public protos (official Node SDK).
import {
  RegistryServiceService,
  CreateRegistryRequest,
  UpdateRegistryRequest,
  ListRegistriesResponse,
} from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry_service';
import { DeviceServiceService, CreateDeviceRequest, ListDevicesRequest } from '@yandex-cloud/nodejs-sdk/iot-devices-v1/device_service';
import { DeviceDataServiceService, PublishDeviceDataRequest } from '@yandex-cloud/nodejs-sdk/iot-devices-v1/device_data_service';
import { RegistryDataServiceService } from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry_data_service';
import { BrokerServiceService, CreateBrokerRequest } from '@yandex-cloud/nodejs-sdk/iot-broker-v1/broker_service';
import { BrokerDataServiceService } from '@yandex-cloud/nodejs-sdk/iot-broker-v1/broker_data_service';
import { OperationServiceService } from '@yandex-cloud/nodejs-sdk/operation/operation_service';
import { Operation } from '@yandex-cloud/nodejs-sdk/operation/operation';
import { Registry } from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry';
import { Device } from '@yandex-cloud/nodejs-sdk/iot-devices-v1/device';
import { Broker } from '@yandex-cloud/nodejs-sdk/iot-broker-v1/broker';
import { ApiEndpointServiceService, ListApiEndpointsResponse } from '@yandex-cloud/nodejs-sdk/endpoint/api_endpoint_service';
import { CreateIamTokenRequest, CreateIamTokenResponse } from '@yandex-cloud/nodejs-sdk/iam-v1/iam_token_service';

interface Codec {
  encode(message: never): { finish(): Uint8Array };
  decode(bytes: Uint8Array): never;
}

export const services = {
  RegistryService: RegistryServiceService,
  DeviceService: DeviceServiceService,
  DeviceDataService: DeviceDataServiceService,
  RegistryDataService: RegistryDataServiceService,
  BrokerService: BrokerServiceService,
  BrokerDataService: BrokerDataServiceService,
  OperationService: OperationServiceService,
  ApiEndpointService: ApiEndpointServiceService,
} as unknown as Record<string, Record<string, { path: string; requestStream: boolean; responseStream: boolean }>>;

export const codecs = {
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
} as unknown as Record<string, Codec>;
