// An edge learns the trigger rules of a registry or broker over the registry link (EdgeAuthService,
// bootstrap admins only): the rule, never the endpoint or the secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { grpcLink } from '../../../services/edge/registry-link/grpc-link.js';
import { CreateRegistryRequest, RegistryServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { AccessTokenServiceClient, type CreateAccessTokenResponse } from '../../../services/generated/iotcore/access/v1/access.js';
import {
  CreateTriggerRequest,
  type CreateTriggerResponse,
  TriggerServiceClient,
} from '../../../services/generated/iotcore/triggers/v1/triggers.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { ADMIN_TOKEN, call, createdId, startApi } from './harness.js';

test('the registry link lists the trigger rules of a registry for edges, and refuses scoped tokens', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new RegistryServiceClient(harness.address, harness.channel);
  const tokens = new AccessTokenServiceClient(harness.address, harness.channel);
  const triggers = new TriggerServiceClient(harness.address, harness.channel);
  const link = grpcLink({ endpoint: harness.address, token: ADMIN_TOKEN });
  t.after(() => {
    registries.close();
    tokens.close();
    triggers.close();
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
  assert.deepEqual(await link.sourceTriggers('registry', registryId), []);
  const created = await call<unknown, CreateTriggerResponse>(
    triggers,
    'create',
    CreateTriggerRequest.fromPartial({
      rule: { $case: 'iot_message', value: { registry_id: registryId, mqtt_topic: '$devices/+/events' } },
      http_endpoint: { url: 'https://backend.example/iot', bearer_token: 'secret-bearer' },
    }),
    harness.metadata,
  );
  const rules = await link.sourceTriggers('registry', registryId);
  assert.deepEqual(rules, [{ id: created.trigger!.id, device_id: '', filter: '$devices/+/events' }]);
  assert.deepEqual(await link.sourceTriggers('broker', registryId), [], 'by kind and ID');
  await assert.rejects(link.sourceTriggers('device' as 'registry', registryId), { code: status.INVALID_ARGUMENT });

  const scoped = await call<unknown, CreateAccessTokenResponse>(
    tokens,
    'create',
    { description: 'not an edge', grants: [{ folder_id: 'f', role: 'admin' }] },
    harness.metadata,
  );
  const scopedLink = grpcLink({ endpoint: harness.address, token: scoped.secret });
  t.after(() => scopedLink.close());
  await assert.rejects(scopedLink.sourceTriggers('registry', registryId), { code: status.PERMISSION_DENIED });
});
