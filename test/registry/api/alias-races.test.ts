// No topic alias of a registry is a prefix of another (docs/yandex-behaviour.md §3.6), also when
// two calls that would break the rule run at the same time: the check and the write of one must not
// interleave with the other's (a device's password is hashed in between, tens of milliseconds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { CreateRegistryRequest, RegistryServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import {
  CreateDeviceRequest,
  DeviceServiceClient,
  UpdateDeviceRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId, startApi } from './harness.js';
import { mongoUrl } from '../../support/servers.js';

const PAIRS = 12;
const PASSWORD = 'Alias-Race-Password-1';

for (const backend of ['embedded', 'MongoDB'] as const) {
  test(`${backend} store: of two devices created or updated at once with clashing aliases, at most one gets them`, async (t) => {
    const harness = await startApi(backend === 'MongoDB' ? { mongoUrl: await mongoUrl() } : {});
    t.after(() => harness.close());
    const registries = new RegistryServiceClient(harness.address, harness.channel);
    const devices = new DeviceServiceClient(harness.address, harness.channel);
    const registryOperation = await call<CreateRegistryRequest, Operation>(
      registries,
      'create',
      CreateRegistryRequest.fromPartial({ folder_id: 'alias-races', name: 'races' }),
      harness.metadata,
    );
    const registryId = createdId(registryOperation, Registry);
    const create = (name: string, alias?: string) =>
      call<CreateDeviceRequest, Operation>(
        devices,
        'create',
        CreateDeviceRequest.fromPartial({
          registry_id: registryId,
          name,
          password: PASSWORD,
          topic_aliases: alias ? { [alias]: '$devices/{id}/' } : {},
        }),
        harness.metadata,
      ).then((operation) => createdId(operation, Device));
    const addAlias = (deviceId: string, alias: string) =>
      call<UpdateDeviceRequest, Operation>(
        devices,
        'update',
        UpdateDeviceRequest.fromPartial({
          device_id: deviceId,
          update_mask: ['topic_aliases'],
          topic_aliases: { [alias]: `$devices/${deviceId}/` },
        }),
        harness.metadata,
      );

    /** Every refusal is the alias rule's. */
    const refusedForTheClash = (outcomes: PromiseSettledResult<unknown>[]) => {
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        const error = outcome.reason as ServiceError;
        assert.equal(error.code, status.INVALID_ARGUMENT, error.details);
        assert.match(error.details, /topic_aliases.*conflicts with alias/);
      }
    };
    let createdBoth = 0;
    let createdOne = 0;
    let retried = 0;
    for (let pair = 0; pair < PAIRS; pair++) {
      const outcomes = await Promise.allSettled([create(`long-${pair}`, `c${pair}/alias/`), create(`short-${pair}`, `c${pair}/`)]);
      refusedForTheClash(outcomes);
      const created = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
      if (created === 2) createdBoth++;
      if (created === 1) createdOne++;
      // Both may back out (more often under load); nothing of theirs is left, so a retry succeeds.
      if (created === 0) {
        retried++;
        await create(`retry-${pair}`, `c${pair}/`);
      }
    }
    let updatedBoth = 0;
    for (let pair = 0; pair < PAIRS; pair++) {
      const [first, second] = await Promise.all([create(`plain-a-${pair}`), create(`plain-b-${pair}`)]);
      const outcomes = await Promise.allSettled([addAlias(first, `u${pair}/alias/`), addAlias(second, `u${pair}/`)]);
      refusedForTheClash(outcomes);
      if (outcomes.every((outcome) => outcome.status === 'fulfilled')) updatedBoth++;
    }
    const stored = await harness.store.listAliases(registryId);
    const clashes = stored.flatMap((one) =>
      stored
        .filter((other) => other.device_id !== one.device_id && other.alias.startsWith(one.alias))
        .map((other) => `${one.alias} / ${other.alias}`),
    );
    t.diagnostic(
      `${PAIRS} pairs each: creates that both succeeded ${createdBoth}, exactly one ${createdOne}, none (then retried) ${retried}; updates that both succeeded ${updatedBoth}; clashing aliases stored: ${clashes.length}`,
    );
    assert.deepEqual(clashes, [], 'no stored alias is a prefix of another device’s');
    assert.equal(createdBoth, 0);
    assert.equal(updatedBoth, 0);
  });
}
