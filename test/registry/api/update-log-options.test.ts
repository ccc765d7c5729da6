// Update of a registry's or broker's LogOptions (docs/yandex-behaviour.md §6.1): a mask naming them
// without a value puts back the default, and an Update that does not name them neither changes nor
// re-checks them, also when the default's destination (the folder's ID) could not be given by hand.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  RegistryServiceClient,
  CreateRegistryRequest,
  UpdateRegistryRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { Registry, type LogOptions } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import {
  BrokerServiceClient,
  CreateBrokerRequest,
  UpdateBrokerRequest,
} from '../../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Broker } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, startApi, type ApiHarness } from './harness.js';

/** Allowed as a folder ID, but no log destination may start with a digit. */
const FOLDER = '1st-folder';
const DEFAULT: LogOptions = { disabled: false, destination: { $case: 'folder_id', value: FOLDER }, min_level: 0 };
const OWN: LogOptions = { disabled: false, destination: { $case: 'log_group_id', value: 'lg1' }, min_level: 4 };

describe('Update and LogOptions', () => {
  let harness: ApiHarness;
  let registries: RegistryServiceClient;
  let brokers: BrokerServiceClient;
  const result = <T>(operation: Operation, type: { decode(bytes: Uint8Array): T }) =>
    type.decode((operation.result as { value: { value: Uint8Array } }).value.value);

  before(async () => {
    harness = await startApi();
    registries = new RegistryServiceClient(harness.address, harness.channel);
    brokers = new BrokerServiceClient(harness.address, harness.channel);
  });
  after(async () => {
    registries.close();
    brokers.close();
    await harness.close();
  });

  const kinds = [
    {
      kind: 'registry',
      create: async (name: string) =>
        result(
          await call(registries, 'create', CreateRegistryRequest.fromPartial({ folder_id: FOLDER, name }), harness.metadata),
          Registry,
        ),
      update: async (id: string, fields: Partial<UpdateRegistryRequest>) =>
        result(
          await call(registries, 'update', UpdateRegistryRequest.fromPartial({ registry_id: id, ...fields }), harness.metadata),
          Registry,
        ),
    },
    {
      kind: 'broker',
      create: async (name: string) =>
        result(await call(brokers, 'create', CreateBrokerRequest.fromPartial({ folder_id: FOLDER, name }), harness.metadata), Broker),
      update: async (id: string, fields: Partial<UpdateBrokerRequest>) =>
        result(await call(brokers, 'update', UpdateBrokerRequest.fromPartial({ broker_id: id, ...fields }), harness.metadata), Broker),
    },
  ];

  for (const { kind, create, update } of kinds) {
    test(`a ${kind}: named without a value they go back to the default; not named, they stay`, async () => {
      const { id, log_options } = await create(`${kind}-logs`);
      assert.deepEqual(log_options, DEFAULT, 'a new one logs to its folder');

      const described = await update(id, { update_mask: ['description'], description: 'described' });
      assert.equal(described.description, 'described', 'an Update that does not name them succeeds');
      assert.deepEqual(described.log_options, DEFAULT);

      assert.deepEqual((await update(id, { update_mask: ['log_options'], log_options: OWN })).log_options, OWN);
      assert.deepEqual((await update(id, { update_mask: ['labels'], labels: { a: 'b' } })).log_options, OWN);
      assert.deepEqual((await update(id, { update_mask: ['log_options'] })).log_options, DEFAULT, 'named without a value: the default');
      // Without a mask every field is overwritten, these too.
      assert.deepEqual((await update(id, { name: `${kind}-logs`, log_options: OWN })).log_options, OWN);
      const overwritten = await update(id, { name: `${kind}-logs` });
      assert.deepEqual([overwritten.description, overwritten.log_options], ['', DEFAULT]);

      await assert.rejects(
        update(id, { update_mask: ['log_options'], log_options: { ...OWN, destination: { $case: 'folder_id', value: FOLDER } } }),
        (error: ServiceError) => error.code === status.INVALID_ARGUMENT && /log_options\.folder_id/.test(error.details),
        'a destination given by hand is still checked',
      );
    });
  }
});
