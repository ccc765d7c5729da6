// AddDataStreamExport / ListDataStreamExports / DeleteDataStreamExport over gRPC, with Yandex's
// messages: the operation's metadata and response, one export per registry, clear errors for bad
// input with nothing stored, and the roles (viewer lists, editor adds and deletes, on the
// registry's folder only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import {
  AddDataStreamExportMetadata,
  AddDataStreamExportRequest,
  CreateRegistryRequest,
  DeleteDataStreamExportMetadata,
  RegistryServiceClient,
  type ListDataStreamExportsResponse,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DataStreamExport, Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { AccessTokenServiceClient, type CreateAccessTokenResponse } from '../../../services/generated/iotcore/access/v1/access.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId, startApi } from './harness.js';

const goodExport = {
  name: 'telemetry',
  mqtt_topic_filter: '$devices/+/events/#',
  database: '/ru-central1/b1gexample/etnexample',
  stream: 'iot-telemetry',
  service_account_id: 'ajeexample',
};

test('data stream exports: add, list and delete with Yandex messages; bad input refused; roles checked', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new RegistryServiceClient(harness.address, harness.channel);
  const tokens = new AccessTokenServiceClient(harness.address, harness.channel);
  t.after(() => {
    registries.close();
    tokens.close();
  });
  const admin = harness.metadata;
  const rpc = <Res>(method: string, request: unknown, metadata = admin) => call<unknown, Res>(registries, method, request, metadata);
  const registryId = createdId(
    await rpc<Operation>('create', CreateRegistryRequest.fromPartial({ folder_id: 'folder-a', name: 'r' })),
    Registry,
  );
  const list = async (metadata = admin) =>
    (await rpc<ListDataStreamExportsResponse>('listDataStreamExports', { registry_id: registryId }, metadata)).data_stream_exports;

  assert.deepEqual(await list(), [], 'List works before any export exists');

  const added = await rpc<Operation>(
    'addDataStreamExport',
    AddDataStreamExportRequest.fromPartial({ registry_id: registryId, ...goodExport }),
  );
  assert.equal(added.done, true);
  const exportId = createdId(added, DataStreamExport);
  assert.deepEqual(AddDataStreamExportMetadata.decode(added.metadata!.value), { registry_id: registryId, data_stream_export_id: exportId });
  assert.equal(added.metadata!.type_url, 'type.googleapis.com/yandex.cloud.iot.devices.v1.AddDataStreamExportMetadata');
  const [listed] = await list();
  assert.deepEqual({ ...listed, created_at: undefined }, { id: exportId, registry_id: registryId, ...goodExport, created_at: undefined });
  assert.ok(listed!.created_at instanceof Date);

  const refused = async (request: object, code: status, message: RegExp) => {
    await assert.rejects(
      rpc('addDataStreamExport', AddDataStreamExportRequest.fromPartial({ registry_id: registryId, ...goodExport, ...request })),
      (error: { code: number; details: string }) => {
        assert.equal(error.code, code, error.details);
        assert.match(error.details, message);
        return true;
      },
    );
  };
  await refused({}, status.ALREADY_EXISTS, new RegExp(`already has a data stream export \\(${exportId}\\)`));
  await rpc('deleteDataStreamExport', { registry_id: registryId, data_stream_export_id: exportId });
  // Bad input, each refused with the field named and nothing stored.
  await refused({ stream: '' }, status.INVALID_ARGUMENT, /^stream: is required/);
  await refused({ stream: 'a/b' }, status.INVALID_ARGUMENT, /^stream: is the Kafka topic/);
  await refused({ database: '' }, status.INVALID_ARGUMENT, /^database: is required/);
  await refused({ database: 'd'.repeat(513) }, status.INVALID_ARGUMENT, /^database: must be at most 512/);
  await refused({ name: 'no spaces' }, status.INVALID_ARGUMENT, /^name: must match/);
  await refused(
    { mqtt_topic_filter: '$monitoring/#' },
    status.INVALID_ARGUMENT,
    /^mqtt_topic_filter: must start with \$devices\/ or \$registries\//,
  );
  await refused({ mqtt_topic_filter: '$devices/+/state' }, status.INVALID_ARGUMENT, /matches no events or commands topic/);
  await refused({ mqtt_topic_filter: '$devices/a#' }, status.INVALID_ARGUMENT, /is not an MQTT filter/);
  await refused({ mqtt_topic_filter: '$registries/are00000000000000000/events' }, status.INVALID_ARGUMENT, /not the export's registry/);
  await refused({ service_account_id: 'bad id' }, status.INVALID_ARGUMENT, /^service_account_id:/);
  await assert.rejects(
    rpc('addDataStreamExport', AddDataStreamExportRequest.fromPartial({ ...goodExport, registry_id: 'are00000000000000000' })),
    {
      code: status.NOT_FOUND,
    },
  );
  assert.deepEqual(await list(), []);

  // An empty filter (every events and commands topic) and no service account are fine here.
  const minimal = createdId(
    await rpc<Operation>(
      'addDataStreamExport',
      AddDataStreamExportRequest.fromPartial({ registry_id: registryId, database: 'db', stream: 'all-telemetry' }),
    ),
    DataStreamExport,
  );
  assert.deepEqual(
    (await list()).map((record) => [record.id, record.mqtt_topic_filter, record.service_account_id]),
    [[minimal, '', '']],
  );

  // Roles: a viewer of the folder lists; only an editor adds or deletes; another folder sees nothing.
  const tokenFor = async (folder_id: string, role: string) => {
    const created = await call<unknown, CreateAccessTokenResponse>(
      tokens,
      'create',
      { description: role, grants: [{ folder_id, role }] },
      admin,
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${created.secret}`);
    return metadata;
  };
  const viewer = await tokenFor('folder-a', 'iot.viewer');
  const outsider = await tokenFor('folder-b', 'iot.editor');
  assert.equal((await list(viewer)).length, 1);
  await assert.rejects(list(outsider), { code: status.PERMISSION_DENIED });
  await assert.rejects(rpc('deleteDataStreamExport', { registry_id: registryId, data_stream_export_id: minimal }, viewer), {
    code: status.PERMISSION_DENIED,
  });
  await assert.rejects(rpc('addDataStreamExport', { registry_id: registryId, ...goodExport }, outsider), {
    code: status.PERMISSION_DENIED,
  });

  const deleted = await rpc<Operation>('deleteDataStreamExport', { registry_id: registryId, data_stream_export_id: minimal });
  assert.deepEqual(DeleteDataStreamExportMetadata.decode(deleted.metadata!.value), {
    registry_id: registryId,
    data_stream_export_id: minimal,
  });
  await assert.rejects(rpc('deleteDataStreamExport', { registry_id: registryId, data_stream_export_id: minimal }), {
    code: status.NOT_FOUND,
  });
  await assert.rejects(rpc('deleteDataStreamExport', { registry_id: registryId, data_stream_export_id: '' }), {
    code: status.INVALID_ARGUMENT,
  });
  assert.deepEqual(await list(), []);
});
