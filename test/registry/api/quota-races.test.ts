// A folder's quota holds also against creates that run at once: each passes the check before any
// of them writes (a password is hashed in between), so each checks again after its write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { CreateRegistryRequest, RegistryServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { CreateDeviceRequest, DeviceServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient, CreateBrokerRequest } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, createdId, startApi } from './harness.js';
import { mongoUrl } from '../../support/servers.js';

const LIMIT = 3;
const AT_ONCE = 8;
const PASSWORD = 'Quota-Race-Password-1';

for (const backend of ['embedded', 'MongoDB'] as const) {
  test(`${backend} store: ${AT_ONCE} creates at once in a folder with a quota of ${LIMIT} keep the quota`, async (t) => {
    const quotas = { registries_per_folder: LIMIT, devices_per_folder: LIMIT, brokers_per_folder: LIMIT };
    const harness = await startApi({ quotas, ...(backend === 'MongoDB' ? { mongoUrl: await mongoUrl() } : {}) });
    t.after(() => harness.close());
    const registries = new RegistryServiceClient(harness.address, harness.channel);
    const devices = new DeviceServiceClient(harness.address, harness.channel);
    const brokers = new BrokerServiceClient(harness.address, harness.channel);
    const createRegistry = (folder: string, name: string) =>
      call<CreateRegistryRequest, Operation>(
        registries,
        'create',
        CreateRegistryRequest.fromPartial({ folder_id: folder, name, password: PASSWORD }),
        harness.metadata,
      ).then((operation) => createdId(operation, Registry));
    const registryId = await createRegistry('devices-folder', 'holder');
    const creates = {
      registries: (index: number) => createRegistry('registries-folder', `r-${index}`),
      devices: (index: number) =>
        call<CreateDeviceRequest, Operation>(
          devices,
          'create',
          CreateDeviceRequest.fromPartial({ registry_id: registryId, name: `d-${index}`, password: PASSWORD }),
          harness.metadata,
        ),
      brokers: (index: number) =>
        call<CreateBrokerRequest, Operation>(
          brokers,
          'create',
          CreateBrokerRequest.fromPartial({ folder_id: 'brokers-folder', name: `b-${index}`, password: PASSWORD }),
          harness.metadata,
        ),
    };
    const counts = {
      registries: () => harness.store.countRegistries('registries-folder'),
      devices: () => harness.store.countDevices({ folder_id: 'devices-folder' }),
      brokers: () => harness.store.countBrokers('brokers-folder'),
    };
    const seen: string[] = [];
    for (const what of ['registries', 'devices', 'brokers'] as const) {
      const outcomes = await Promise.allSettled(Array.from({ length: AT_ONCE }, (_, index) => creates[what](index)));
      const created = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
      for (const outcome of outcomes)
        if (outcome.status === 'rejected')
          assert.equal((outcome.reason as ServiceError).code, status.RESOURCE_EXHAUSTED, (outcome.reason as ServiceError).details);
      const stored = await counts[what]();
      seen.push(`${what}: ${created} created, ${stored} stored`);
      assert.ok(stored <= LIMIT, `${what}: ${stored} stored, the quota is ${LIMIT}`);
      assert.equal(stored, created, `${what}: what was refused was backed out`);
      // All may back out (more often under load); creates one at a time then fill the folder exactly.
      for (let index = AT_ONCE; (await counts[what]()) < LIMIT; index++) await creates[what](index);
      await assert.rejects(creates[what](AT_ONCE + LIMIT), (error: ServiceError) => error.code === status.RESOURCE_EXHAUSTED);
      assert.equal(await counts[what](), LIMIT, `${what}: the folder fills up to its quota`);
    }
    t.diagnostic(seen.join('; '));
  });
}
