// The audit trail over the gRPC API: a change made or refused is one event with who, from where
// and what; a read is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  RegistryServiceClient,
  CreateRegistryRequest,
  DeleteRegistryRequest,
  GetRegistryRequest,
  ListRegistriesRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId, startApi } from './harness.js';

test('changes over the API leave audit events: made, refused, and none for reads', async (t) => {
  const harness = await startApi();
  const registries = new RegistryServiceClient(harness.address, harness.channel);
  t.after(async () => {
    registries.close();
    await harness.close();
  });

  const create = CreateRegistryRequest.fromPartial({ folder_id: 'audited', name: 'plant', password: 'Registry-Passw0rd-001' });
  const operation = await call<CreateRegistryRequest, Operation>(registries, 'create', create, harness.metadata);
  const registryId = createdId(operation, Registry);
  await call(registries, 'get', GetRegistryRequest.fromPartial({ registry_id: registryId }), harness.metadata);
  await call(registries, 'list', ListRegistriesRequest.fromPartial({ folder_id: 'audited' }), harness.metadata);

  const stranger = new Metadata();
  stranger.set('authorization', 'Bearer not-a-token');
  stranger.set('x-request-id', 'c0ffee00-0000-4000-8000-000000000001');
  await assert.rejects(
    call(registries, 'delete', DeleteRegistryRequest.fromPartial({ registry_id: registryId }), stranger),
    (error: ServiceError) => error.code === status.UNAUTHENTICATED,
  );

  assert.equal(harness.audit.length, 2, 'the Create and the refused Delete; the Get and List are reads');
  const [created, refused] = harness.audit;
  assert.equal(created!.event_type, 'yandex.cloud.audit.iot.devices.CreateRegistry');
  assert.equal(created!.event_status, 'DONE');
  assert.equal(created!.authentication.subject_id, 'bootstrap-admin');
  assert.deepEqual(created!.details, { folder_id: 'audited', name: 'plant', operation_id: operation.id, registry_id: registryId });
  assert.match(created!.request_metadata.remote_address, /127\.0\.0\.1:\d+$/);
  assert.match(created!.request_metadata.user_agent, /grpc-node/);
  assert.doesNotMatch(JSON.stringify(created), /Registry-Passw0rd-001/);

  assert.equal(refused!.event_type, 'yandex.cloud.audit.iot.devices.DeleteRegistry');
  assert.equal(refused!.event_status, 'ERROR');
  assert.equal(refused!.error?.code, status.UNAUTHENTICATED);
  assert.deepEqual(refused!.authentication, { authenticated: false, subject_id: '' });
  assert.deepEqual(refused!.details, { registry_id: registryId });
  assert.equal(refused!.request_metadata.request_id, 'c0ffee00-0000-4000-8000-000000000001', "the client's x-request-id");
  assert.equal(created!.request_metadata.request_id, undefined, 'none sent');
});
