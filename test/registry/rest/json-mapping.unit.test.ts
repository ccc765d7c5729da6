// Where a REST request's fields come from (path, JSON body or query) and the proto3 JSON mapping of
// requests and responses: camelCase or proto names in, camelCase out, int64 as strings, bytes as
// base64, FieldMask as a comma list of camelCase paths, enums by name or number, Any with "@type".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveRoutes } from '../../../services/registry/rest/routes.js';
import { requestBytes, RequestMappingError, responseJson, type HttpRequestParts } from '../../../services/registry/rest/json-mapping.js';
import { anyTypes } from '../../../services/registry/api/any-types.js';
import { REST_SERVICES } from '../../../services/registry/rest/routes.js';
import { UpdateRegistryRequest, CreateRegistryMetadata } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { ListDevicesRequest, GetDeviceRequest } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { PublishDeviceDataRequest } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_data_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { OperationSchema } from '../../../services/generated/yandex/cloud/operation/operation_pb.js';

const routes = deriveRoutes();
const types = anyTypes(REST_SERVICES);
const route = (grpcPath: string) => routes.find((candidate) => candidate.grpcPath === grpcPath)!;
const parts = (fields: Partial<HttpRequestParts>): HttpRequestParts => ({
  variables: {},
  query: new URLSearchParams(),
  body: '',
  ...fields,
});
const map = (grpcPath: string, fields: Partial<HttpRequestParts>) => requestBytes(route(grpcPath), parts(fields), types);

test('body "*": the JSON body is the request, camelCase or proto names; the path variable wins over the body', () => {
  const bytes = map('/yandex.cloud.iot.devices.v1.RegistryService/Update', {
    variables: { registry_id: 'are-path' },
    body: JSON.stringify({
      registryId: 'are-body',
      updateMask: 'description,logOptions',
      description: 'd',
      log_options: { minLevel: 'WARN' },
    }),
  });
  assert.deepEqual(
    UpdateRegistryRequest.decode(bytes),
    UpdateRegistryRequest.fromPartial({
      registry_id: 'are-path',
      update_mask: ['description', 'log_options'],
      description: 'd',
      log_options: { min_level: 4 },
    }),
  );
});

test('bytes travel as base64 (binary payloads survive)', () => {
  const payload = Buffer.from([0, 1, 2, 250, 255]);
  const bytes = map('/yandex.cloud.iot.devices.v1.DeviceDataService/Publish', {
    variables: { device_id: 'are1' },
    body: JSON.stringify({ topic: '$devices/are1/events', data: payload.toString('base64') }),
  });
  assert.deepEqual(PublishDeviceDataRequest.decode(bytes).data, payload);
});

test('no body: the query names the fields; int64 as a string, enums by name or number', () => {
  const list = (query: string) =>
    ListDevicesRequest.decode(map('/yandex.cloud.iot.devices.v1.DeviceService/List', { query: new URLSearchParams(query) }));
  assert.deepEqual(
    list('registryId=are1&pageSize=20000&pageToken=t&deviceView=FULL'),
    ListDevicesRequest.fromPartial({ id: { $case: 'registry_id', value: 'are1' }, page_size: 20000, page_token: 't', device_view: 1 }),
  );
  assert.deepEqual(
    list('folder_id=f&page_size=5&device_view=1'),
    ListDevicesRequest.fromPartial({ id: { $case: 'folder_id', value: 'f' }, page_size: 5, device_view: 1 }),
  );
  const get = GetDeviceRequest.decode(
    map('/yandex.cloud.iot.devices.v1.DeviceService/Get', {
      variables: { device_id: 'are2' },
      query: new URLSearchParams('deviceView=FULL'),
    }),
  );
  assert.deepEqual(get, GetDeviceRequest.fromPartial({ device_id: 'are2', device_view: 1 }));
  assert.deepEqual(
    list('registryId=r&_=1733616000000&colour=red'),
    list('registryId=r'),
    'other parameters are ignored, as grpc-gateway does',
  );
});

test('what does not map onto the message is a RequestMappingError naming the problem', () => {
  const cases: Array<[string, Partial<HttpRequestParts>, RegExp]> = [
    ['/yandex.cloud.iot.devices.v1.RegistryService/Create', { body: '{"folderId": "f",' }, /not valid JSON/],
    ['/yandex.cloud.iot.devices.v1.RegistryService/Create', { body: '["f"]' }, /must be a JSON object/],
    ['/yandex.cloud.iot.devices.v1.RegistryService/Create', { body: '{"folderId": "f", "colour": "red"}' }, /colour/],
    ['/yandex.cloud.iot.devices.v1.RegistryService/Create', { body: '{"labels": "a=b"}' }, /labels/],
    ['/yandex.cloud.iot.devices.v1.DeviceDataService/Publish', { body: '{"data": "not base64!"}' }, /data/],
    ['/yandex.cloud.iot.devices.v1.DeviceService/List', { query: new URLSearchParams('pageSize=1&pageSize=2') }, /more than once/],
    ['/yandex.cloud.iot.devices.v1.DeviceService/List', { query: new URLSearchParams('pageSize=ten') }, /page_size/],
    ['/yandex.cloud.iot.devices.v1.DeviceService/List', { query: new URLSearchParams('deviceView=HUGE') }, /DeviceView.*HUGE/],
  ];
  for (const [grpcPath, fields, message] of cases) {
    assert.throws(
      () => map(grpcPath, fields),
      (error: Error) => error instanceof RequestMappingError && message.test(error.message),
      `${grpcPath} ${JSON.stringify(fields.body ?? String(fields.query))}`,
    );
  }
});

test('a response is proto3 JSON: camelCase, RFC 3339 timestamps, enum names, Any with its "@type"', () => {
  const registry = Registry.fromPartial({
    id: 'are1',
    folder_id: 'f',
    created_at: new Date('2026-11-25T10:00:00.123Z'),
    status: 2,
    labels: { a: 'b' },
  });
  const operation = Operation.fromPartial({
    id: 'op',
    done: true,
    metadata: {
      type_url: 'type.googleapis.com/yandex.cloud.iot.devices.v1.CreateRegistryMetadata',
      value: Buffer.from(CreateRegistryMetadata.encode({ registry_id: 'are1' }).finish()),
    },
    result: {
      $case: 'response',
      value: {
        type_url: 'type.googleapis.com/yandex.cloud.iot.devices.v1.Registry',
        value: Buffer.from(Registry.encode(registry).finish()),
      },
    },
  });
  assert.deepEqual(responseJson(OperationSchema, Operation.encode(operation).finish(), types), {
    id: 'op',
    done: true,
    metadata: { '@type': 'type.googleapis.com/yandex.cloud.iot.devices.v1.CreateRegistryMetadata', registryId: 'are1' },
    response: {
      '@type': 'type.googleapis.com/yandex.cloud.iot.devices.v1.Registry',
      id: 'are1',
      folderId: 'f',
      createdAt: '2026-11-25T10:00:00.123Z',
      status: 'ACTIVE',
      labels: { a: 'b' },
    },
  });
});

test('every metadata and response type an Operation of these services packs can be written', () => {
  for (const name of [
    'google.protobuf.Empty',
    'yandex.cloud.iot.devices.v1.DevicePassword',
    'yandex.cloud.iot.broker.v1.BrokerCertificate',
    'yandex.cloud.iot.broker.v1.DeleteBrokerPasswordMetadata',
  ]) {
    assert.ok(types.getMessage(name), name);
  }
});
