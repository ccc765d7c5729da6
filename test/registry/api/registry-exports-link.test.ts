// An edge learns a registry's data stream exports over the registry link (EdgeAuthService,
// bootstrap admins only, like the rest of that internal API).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { grpcLink } from '../../../services/edge/registry-link/grpc-link.js';
import {
  AddDataStreamExportRequest,
  CreateRegistryRequest,
  RegistryServiceClient,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DataStreamExport, Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { AccessTokenServiceClient, type CreateAccessTokenResponse } from '../../../services/generated/iotcore/access/v1/access.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { ADMIN_TOKEN, call, createdId, startApi } from './harness.js';

test('the registry link lists the exports of a registry for edges, and refuses scoped tokens', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new RegistryServiceClient(harness.address, harness.channel);
  const tokens = new AccessTokenServiceClient(harness.address, harness.channel);
  const link = grpcLink({ endpoint: harness.address, token: ADMIN_TOKEN });
  t.after(() => {
    registries.close();
    tokens.close();
    link.close();
  });
  const registryId = createdId(
    await call<unknown, Operation>(
      registries,
      'create',
      CreateRegistryRequest.fromPartial({ folder_id: 'f', name: 'r' }),
      harness.metadata,
    ),
    Registry,
  );
  assert.deepEqual(await link.registryExports(registryId), []);
  const exportId = createdId(
    await call<unknown, Operation>(
      registries,
      'addDataStreamExport',
      AddDataStreamExportRequest.fromPartial({
        registry_id: registryId,
        database: 'db',
        stream: 'telemetry',
        mqtt_topic_filter: '$devices/+/events',
      }),
      harness.metadata,
    ),
    DataStreamExport,
  );
  assert.deepEqual(await link.registryExports(registryId), [{ id: exportId, mqtt_topic_filter: '$devices/+/events', stream: 'telemetry' }]);
  assert.deepEqual(await link.registryExports('are00000000000000000'), [], 'an unknown registry has none');

  const scoped = await call<unknown, CreateAccessTokenResponse>(
    tokens,
    'create',
    { description: 'not an edge', grants: [{ folder_id: 'f', role: 'admin' }] },
    harness.metadata,
  );
  const scopedLink = grpcLink({ endpoint: harness.address, token: scoped.secret });
  t.after(() => scopedLink.close());
  await assert.rejects(scopedLink.registryExports(registryId), { code: status.PERMISSION_DENIED });
});
