// Wire compatibility: a client generated from Yandex's own public protos (the official Node SDK's
// generated code, not our protos) manages registries, devices and data stream exports on iotcore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import * as yRegistryService from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry_service';
import * as yDeviceService from '@yandex-cloud/nodejs-sdk/iot-devices-v1/device_service';
import * as yRegistry from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry';
import * as yDevice from '@yandex-cloud/nodejs-sdk/iot-devices-v1/device';
import type { Operation } from '@yandex-cloud/nodejs-sdk/operation/operation';
import { call, startApi } from './harness.js';

const PASSWORD = 'Compat-Passw0rd-2026';

test('Yandex SDK client: Create/Get/List/Delete registries and devices', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new yRegistryService.RegistryServiceClient(harness.address, harness.channel);
  const devices = new yDeviceService.DeviceServiceClient(harness.address, harness.channel);
  t.after(() => {
    registries.close();
    devices.close();
  });
  const md = harness.metadata;

  const created = await call<unknown, Operation>(
    registries,
    'create',
    yRegistryService.CreateRegistryRequest.fromPartial({
      folderId: 'folder-a',
      name: 'sdk-registry',
      description: 'made by the Yandex SDK',
      labels: { env: 'test' },
      password: PASSWORD,
    }),
    md,
  );
  assert.equal(created.done, true);
  assert.equal(created.metadata?.typeUrl, 'type.googleapis.com/yandex.cloud.iot.devices.v1.CreateRegistryMetadata');
  assert.equal(created.response?.typeUrl, 'type.googleapis.com/yandex.cloud.iot.devices.v1.Registry');
  const registry = yRegistry.Registry.decode(created.response!.value);
  const metadata = yRegistryService.CreateRegistryMetadata.decode(created.metadata!.value);
  assert.equal(metadata.registryId, registry.id);
  assert.match(registry.id, /^are[0-9a-v]{17}$/);
  assert.equal(registry.folderId, 'folder-a');
  assert.equal(registry.name, 'sdk-registry');
  assert.deepEqual(registry.labels, { env: 'test' });
  assert.equal(registry.status, yRegistry.Registry_Status.ACTIVE);
  assert.ok(registry.createdAt instanceof Date);

  const fetched = await call<unknown, yRegistry.Registry>(registries, 'get', { registryId: registry.id }, md);
  assert.equal(fetched.name, 'sdk-registry');
  assert.equal(fetched.description, 'made by the Yandex SDK');

  const listed = await call<unknown, yRegistryService.ListRegistriesResponse>(
    registries,
    'list',
    yRegistryService.ListRegistriesRequest.fromPartial({ folderId: 'folder-a' }),
    md,
  );
  assert.deepEqual(
    listed.registries.map((entry: { id: string }) => entry.id),
    [registry.id],
  );

  const deviceOperation = await call<unknown, Operation>(
    devices,
    'create',
    yDeviceService.CreateDeviceRequest.fromPartial({
      registryId: registry.id,
      name: 'sdk-device',
      topicAliases: { 'home/kitchen/': '$devices/{id}/events/kitchen/' },
      password: PASSWORD,
    }),
    md,
  );
  const device = yDevice.Device.decode(deviceOperation.response!.value);
  assert.match(device.id, /^are[0-9a-v]{17}$/);
  assert.deepEqual(device.topicAliases, { 'home/kitchen/': `$devices/${device.id}/events/kitchen/` });

  const byName = await call<unknown, yDevice.Device>(
    devices,
    'getByName',
    yDeviceService.GetByNameDeviceRequest.fromPartial({ registryId: registry.id, deviceName: 'sdk-device' }),
    md,
  );
  assert.equal(byName.id, device.id);
  const deviceList = await call<unknown, yDeviceService.ListDevicesResponse>(
    devices,
    'list',
    yDeviceService.ListDevicesRequest.fromPartial({ registryId: registry.id }),
    md,
  );
  assert.deepEqual(
    deviceList.devices.map((entry: { id: string }) => entry.id),
    [device.id],
  );

  await assert.rejects(call(registries, 'delete', { registryId: registry.id }, md), { code: status.FAILED_PRECONDITION });
  await call(devices, 'delete', { deviceId: device.id }, md);
  const deleted = await call<unknown, Operation>(registries, 'delete', { registryId: registry.id }, md);
  assert.equal(deleted.done, true);
  await assert.rejects(call(registries, 'get', { registryId: registry.id }, md), { code: status.NOT_FOUND });
});

test('Yandex SDK client: AddDataStreamExport, ListDataStreamExports and DeleteDataStreamExport', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new yRegistryService.RegistryServiceClient(harness.address, harness.channel);
  t.after(() => registries.close());
  const md = harness.metadata;
  const created = await call<unknown, Operation>(
    registries,
    'create',
    yRegistryService.CreateRegistryRequest.fromPartial({ folderId: 'folder-a', name: 'sdk-export' }),
    md,
  );
  const registry = yRegistry.Registry.decode(created.response!.value);
  const added = await call<unknown, Operation>(
    registries,
    'addDataStreamExport',
    yRegistryService.AddDataStreamExportRequest.fromPartial({
      registryId: registry.id,
      name: 'to-yds',
      mqttTopicFilter: '$devices/+/events/#',
      database: '/ru-central1/b1gexample/etnexample',
      stream: 'iot-events',
      serviceAccountId: 'ajeexample',
    }),
    md,
  );
  assert.equal(added.metadata?.typeUrl, 'type.googleapis.com/yandex.cloud.iot.devices.v1.AddDataStreamExportMetadata');
  assert.equal(added.response?.typeUrl, 'type.googleapis.com/yandex.cloud.iot.devices.v1.DataStreamExport');
  const exported = yRegistry.DataStreamExport.decode(added.response!.value);
  assert.equal(yRegistryService.AddDataStreamExportMetadata.decode(added.metadata!.value).dataStreamExportId, exported.id);
  const listed = await call<unknown, yRegistryService.ListDataStreamExportsResponse>(
    registries,
    'listDataStreamExports',
    yRegistryService.ListDataStreamExportsRequest.fromPartial({ registryId: registry.id }),
    md,
  );
  assert.deepEqual(listed.dataStreamExports, [exported]);
  assert.deepEqual(
    { ...exported, id: '', createdAt: undefined },
    {
      id: '',
      name: 'to-yds',
      registryId: registry.id,
      mqttTopicFilter: '$devices/+/events/#',
      database: '/ru-central1/b1gexample/etnexample',
      stream: 'iot-events',
      serviceAccountId: 'ajeexample',
      createdAt: undefined,
    },
  );
  await call(
    registries,
    'deleteDataStreamExport',
    yRegistryService.DeleteDataStreamExportRequest.fromPartial({ registryId: registry.id, dataStreamExportId: exported.id }),
    md,
  );
  const after = await call<unknown, yRegistryService.ListDataStreamExportsResponse>(
    registries,
    'listDataStreamExports',
    yRegistryService.ListDataStreamExportsRequest.fromPartial({ registryId: registry.id }),
    md,
  );
  assert.deepEqual(after.dataStreamExports, []);
});
