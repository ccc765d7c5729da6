// TriggerService over gRPC: create (secret once), get, list, delete; bad input refused with
// INVALID_ARGUMENT or NOT_FOUND and nothing stored; roles on the folder of the registry or broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { CreateRegistryRequest, RegistryServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { CreateDeviceRequest, DeviceServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Device } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { BrokerServiceClient, CreateBrokerRequest } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Broker } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import { AccessTokenServiceClient, type CreateAccessTokenResponse } from '../../../services/generated/iotcore/access/v1/access.js';
import {
  CreateTriggerRequest,
  TriggerServiceClient,
  type CreateTriggerResponse,
  type ListTriggersResponse,
  type Trigger,
} from '../../../services/generated/iotcore/triggers/v1/triggers.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId, startApi } from './harness.js';

test('triggers: create shows the secret once, get/list/delete, bad input refused with nothing stored, roles checked', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const registries = new RegistryServiceClient(harness.address, harness.channel);
  const devices = new DeviceServiceClient(harness.address, harness.channel);
  const brokers = new BrokerServiceClient(harness.address, harness.channel);
  const tokens = new AccessTokenServiceClient(harness.address, harness.channel);
  const triggers = new TriggerServiceClient(harness.address, harness.channel);
  t.after(() => [registries, devices, brokers, tokens, triggers].forEach((client) => client.close()));
  const admin = harness.metadata;
  const registryId = createdId(
    await call<unknown, Operation>(registries, 'create', CreateRegistryRequest.fromPartial({ folder_id: 'folder-a', name: 'r' }), admin),
    Registry,
  );
  const deviceId = createdId(
    await call<unknown, Operation>(
      devices,
      'create',
      CreateDeviceRequest.fromPartial({ registry_id: registryId, name: 'd', topic_aliases: { boiler: `$devices/{id}/events/boiler` } }),
      admin,
    ),
    Device,
  );
  const brokerId = createdId(
    await call<unknown, Operation>(brokers, 'create', CreateBrokerRequest.fromPartial({ folder_id: 'folder-a', name: 'b' }), admin),
    Broker,
  );
  const rpc = <Res>(method: string, request: unknown, metadata = admin) => call<unknown, Res>(triggers, method, request, metadata);
  const good = {
    name: 'to-backend',
    rule: { $case: 'iot_message', value: { registry_id: registryId, device_id: '', mqtt_topic: '$devices/+/events/#' } },
    batch_settings: { size: 10, cutoff: { seconds: 2, nanos: 0 } },
    retry_settings: { retry_attempts: 5, interval: { seconds: 0, nanos: 500_000_000 } },
    http_endpoint: { url: 'https://backend.example/iot', bearer_token: 'b-token' },
    dead_letter: { destination: { $case: 'mqtt_topic', value: `$registries/${registryId}/commands/dead` } },
  };
  const create = (request: object, metadata = admin) =>
    rpc<CreateTriggerResponse>('create', CreateTriggerRequest.fromPartial({ ...good, ...request } as CreateTriggerRequest), metadata);
  const list = async (metadata = admin) => (await rpc<ListTriggersResponse>('list', { folder_id: 'folder-a' }, metadata)).triggers;

  const created = await create({});
  assert.match(created.signing_secret, /^iots_[A-Za-z0-9_-]{43}$/);
  const trigger = created.trigger!;
  assert.equal(trigger.folder_id, 'folder-a', "the trigger lives in its registry's folder");
  assert.deepEqual(trigger.rule, good.rule);
  assert.deepEqual(trigger.batch_settings, good.batch_settings);
  assert.deepEqual(trigger.retry_settings, good.retry_settings);
  assert.deepEqual(trigger.http_endpoint, { url: good.http_endpoint.url, bearer_token: '' }, 'the bearer token is never returned');
  assert.equal(trigger.has_bearer_token, true);
  assert.deepEqual(trigger.dead_letter, good.dead_letter);
  const fetched = await rpc<Trigger>('get', { trigger_id: trigger.id });
  assert.deepEqual(fetched, trigger);
  assert.ok(!JSON.stringify(fetched).includes('iots_'), 'Get never shows the secret');

  // Defaults (batch 1 / 1 s, 3 retries / 10 s), a device's alias resolved, a broker trigger.
  const aliased = (
    await create({
      rule: { $case: 'iot_message', value: { registry_id: registryId, device_id: deviceId, mqtt_topic: 'boiler' } },
      batch_settings: undefined,
      retry_settings: undefined,
      dead_letter: undefined,
    })
  ).trigger!;
  assert.deepEqual(aliased.batch_settings, { size: 1, cutoff: { seconds: 1, nanos: 0 } });
  assert.deepEqual(aliased.retry_settings, { retry_attempts: 3, interval: { seconds: 10, nanos: 0 } });
  assert.equal((await harness.store.getTrigger(aliased.id))?.filter, `$devices/${deviceId}/events/boiler`);
  const onBroker = (
    await create({ rule: { $case: 'iot_broker_message', value: { broker_id: brokerId, mqtt_topic: 'plant/+/t' } }, dead_letter: undefined })
  ).trigger!;
  assert.equal(onBroker.rule?.$case, 'iot_broker_message');
  assert.deepEqual(
    (await list()).map((entry) => entry.id),
    [trigger.id, aliased.id, onBroker.id].sort(),
  );

  // Bad input: the field named, nothing stored.
  const before = (await list()).length;
  const refused = async (request: object, code: status, message: RegExp) =>
    assert.rejects(create(request), (error: { code: number; details: string }) => {
      assert.equal(error.code, code, error.details);
      assert.match(error.details, message);
      return true;
    });
  const onRegistry = (mqtt_topic: string, registry_id = registryId, device_id = '') => ({
    rule: { $case: 'iot_message', value: { registry_id, device_id, mqtt_topic } },
  });
  await refused(onRegistry('$devices/+/events/a#'), status.INVALID_ARGUMENT, /^mqtt_topic: is not an MQTT filter/);
  await refused(onRegistry('$monitoring/#'), status.INVALID_ARGUMENT, /^mqtt_topic: cannot be a \$monitoring topic/);
  await refused(onRegistry('no-such-alias/x'), status.INVALID_ARGUMENT, /^mqtt_topic: must be a \$devices/);
  await refused(onRegistry('$registries/are00000000000000000/events'), status.INVALID_ARGUMENT, /not the trigger's registry/);
  await refused({ batch_settings: { size: 11 } }, status.INVALID_ARGUMENT, /^batch_settings\.size: must be 1-10/);
  await refused({ batch_settings: { size: 1, cutoff: { seconds: 61, nanos: 0 } } }, status.INVALID_ARGUMENT, /^batch_settings\.cutoff/);
  await refused({ retry_settings: { retry_attempts: 11 } }, status.INVALID_ARGUMENT, /^retry_settings\.retry_attempts/);
  await refused({ http_endpoint: { url: 'ftp://backend.example/iot' } }, status.INVALID_ARGUMENT, /^http_endpoint\.url: must be http/);
  await refused({ http_endpoint: { url: 'https://u:p@backend.example/' } }, status.INVALID_ARGUMENT, /must not carry credentials/);
  await refused({ http_endpoint: { url: '' } }, status.INVALID_ARGUMENT, /^http_endpoint\.url: is required/);
  await refused(
    { dead_letter: { destination: { $case: 'mqtt_topic', value: `$devices/${deviceId}/events/x` } } },
    status.INVALID_ARGUMENT,
    /^dead_letter\.mqtt_topic: must be \$registries\//,
  );
  await refused(
    {
      ...onRegistry(`$registries/${registryId}/#`),
      dead_letter: { destination: { $case: 'mqtt_topic', value: `$registries/${registryId}/commands` } },
    },
    status.INVALID_ARGUMENT,
    /a topic the trigger takes itself/,
  );
  await refused(
    { dead_letter: { destination: { $case: 'kafka_topic', value: 'a/b' } } },
    status.INVALID_ARGUMENT,
    /^dead_letter\.kafka_topic/,
  );
  await refused({ rule: undefined }, status.INVALID_ARGUMENT, /^rule:/);
  await refused(onRegistry('', 'are00000000000000000'), status.NOT_FOUND, /registry are00000000000000000 not found/);
  await refused(onRegistry('', registryId, 'are00000000000000000'), status.NOT_FOUND, /device are00000000000000000 not found/);
  await refused(
    { rule: { $case: 'iot_broker_message', value: { broker_id: brokerId, mqtt_topic: '$devices/#' } }, dead_letter: undefined },
    status.INVALID_ARGUMENT,
    /broker topics do not start with/,
  );
  assert.equal((await list()).length, before, 'nothing stored');

  // Roles: a viewer of the folder reads; only an editor creates or deletes; another folder sees nothing.
  const tokenFor = async (folder_id: string, role: string) => {
    const made = await call<unknown, CreateAccessTokenResponse>(
      tokens,
      'create',
      { description: role, grants: [{ folder_id, role }] },
      admin,
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${made.secret}`);
    return metadata;
  };
  const viewer = await tokenFor('folder-a', 'iot.viewer');
  const outsider = await tokenFor('folder-b', 'iot.editor');
  assert.equal((await list(viewer)).length, 3);
  assert.equal((await rpc<Trigger>('get', { trigger_id: trigger.id }, viewer)).id, trigger.id);
  await assert.rejects(list(outsider), { code: status.PERMISSION_DENIED });
  await assert.rejects(rpc('get', { trigger_id: trigger.id }, outsider), { code: status.PERMISSION_DENIED });
  await assert.rejects(create({}, viewer), { code: status.PERMISSION_DENIED });
  await assert.rejects(create({}, outsider), { code: status.PERMISSION_DENIED });
  await assert.rejects(rpc('delete', { trigger_id: trigger.id }, viewer), { code: status.PERMISSION_DENIED });

  await rpc('delete', { trigger_id: trigger.id });
  await assert.rejects(rpc('get', { trigger_id: trigger.id }), { code: status.NOT_FOUND });
  await assert.rejects(rpc('delete', { trigger_id: trigger.id }), { code: status.NOT_FOUND });
  assert.equal((await list()).length, 2);
});
