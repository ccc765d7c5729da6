// Every validation rule of the management API: the right gRPC status, a message naming the
// field, and nothing stored.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  RegistryServiceClient,
  CreateRegistryRequest,
  UpdateRegistryRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import {
  DeviceServiceClient,
  CreateDeviceRequest,
  ListDevicesRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient, CreateBrokerRequest } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, startApi, type ApiHarness } from './harness.js';
import { makeCertificate } from '../../support/certificates.js';

const STRONG = 'Str0ng-Passw0rd-Here';

describe('management API rejects bad input', () => {
  let harness: ApiHarness;
  let registries: RegistryServiceClient;
  let devices: DeviceServiceClient;
  let brokers: BrokerServiceClient;
  let registryId: string;

  const createRegistry = async (fields: Partial<CreateRegistryRequest>, metadata = harness.metadata) => {
    const operation = await call<CreateRegistryRequest, Operation>(
      registries,
      'create',
      CreateRegistryRequest.fromPartial({ folder_id: 'bad-input', ...fields }),
      metadata,
    );
    return Registry.decode((operation.result as { value: { value: Uint8Array } }).value.value);
  };
  const createDevice = async (fields: Partial<CreateDeviceRequest>) => {
    const operation = await call<CreateDeviceRequest, Operation>(
      devices,
      'create',
      CreateDeviceRequest.fromPartial({ registry_id: registryId, ...fields }),
      harness.metadata,
    );
    return Device.decode((operation.result as { value: { value: Uint8Array } }).value.value);
  };
  const snapshot = async () => ({
    registries: await harness.store.countRegistries('bad-input'),
    devices: await harness.store.countDevices({ folder_id: 'bad-input' }),
    brokers: await harness.store.countBrokers('bad-input'),
  });
  /** Asserts the call fails with `code`, the message names `field`, and the store did not change. */
  const rejects = async (action: () => Promise<unknown>, code: status, field: string) => {
    const before = await snapshot();
    await assert.rejects(action, (error: ServiceError) => {
      assert.equal(error.code, code, `expected ${status[code]}, got ${status[error.code]}: ${error.details}`);
      assert.match(error.details, new RegExp(field.replace(/[[\]]/g, '\\$&')), `message should name ${field}: ${error.details}`);
      return true;
    });
    assert.deepEqual(await snapshot(), before, 'nothing may be stored by a rejected call');
  };

  before(async () => {
    harness = await startApi({ quotas: { brokers_per_folder: 2 } });
    registries = new RegistryServiceClient(harness.address, harness.channel);
    devices = new DeviceServiceClient(harness.address, harness.channel);
    brokers = new BrokerServiceClient(harness.address, harness.channel);
    registryId = (await createRegistry({ name: 'base' })).id;
  });
  after(async () => {
    registries.close();
    devices.close();
    brokers.close();
    await harness.close();
  });

  test('no token and a wrong token → UNAUTHENTICATED', async () => {
    await rejects(() => createRegistry({ name: 'no-token' }, new Metadata()), status.UNAUTHENTICATED, 'authorization');
    const wrong = new Metadata();
    wrong.set('authorization', 'Bearer not-the-token');
    await rejects(() => createRegistry({ name: 'wrong-token' }, wrong), status.UNAUTHENTICATED, 'token');
  });

  test('ID longer than 50 characters → INVALID_ARGUMENT', async () => {
    await rejects(() => call(registries, 'get', { registry_id: 'a'.repeat(51) }, harness.metadata), status.INVALID_ARGUMENT, 'registry_id');
  });

  test('unknown IDs → NOT_FOUND', async () => {
    await rejects(
      () => call(registries, 'get', { registry_id: 'are00000000000000000' }, harness.metadata),
      status.NOT_FOUND,
      'are00000000000000000',
    );
    await rejects(() => createDevice({ registry_id: 'are00000000000000000', name: 'orphan' }), status.NOT_FOUND, 'are00000000000000000');
  });

  test('names: pattern, length, required', async () => {
    await rejects(() => createRegistry({ name: 'bad name!' }), status.INVALID_ARGUMENT, 'name');
    await rejects(() => createRegistry({ name: 'x'.repeat(51) }), status.INVALID_ARGUMENT, 'name');
    await rejects(() => createRegistry({ name: '' }), status.INVALID_ARGUMENT, 'name');
    await rejects(() => createDevice({ name: 'dev/ice' }), status.INVALID_ARGUMENT, 'name');
  });

  test('description longer than 256 → INVALID_ARGUMENT', async () => {
    await rejects(() => createRegistry({ name: 'long-description', description: 'd'.repeat(257) }), status.INVALID_ARGUMENT, 'description');
  });

  test('labels: count, key pattern, value pattern', async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`k${index}`, 'v']));
    await rejects(() => createRegistry({ name: 'many-labels', labels: many }), status.INVALID_ARGUMENT, 'labels');
    await rejects(() => createRegistry({ name: 'bad-key', labels: { Upper: 'v' } }), status.INVALID_ARGUMENT, 'labels');
    await rejects(() => createRegistry({ name: 'bad-value', labels: { key: 'UPPER' } }), status.INVALID_ARGUMENT, 'labels');
    await rejects(() => createRegistry({ name: 'long-key', labels: { ['k'.repeat(64)]: 'v' } }), status.INVALID_ARGUMENT, 'labels');
  });

  test('uniqueness of names per folder and per registry → ALREADY_EXISTS', async () => {
    await rejects(() => createRegistry({ name: 'base' }), status.ALREADY_EXISTS, 'name');
    const other = await call<CreateRegistryRequest, Operation>(
      registries,
      'create',
      CreateRegistryRequest.fromPartial({ folder_id: 'another-folder', name: 'base' }),
      harness.metadata,
    );
    assert.equal(other.done, true, 'the same name in another folder is allowed');
    await createDevice({ name: 'twin' });
    await rejects(() => createDevice({ name: 'twin' }), status.ALREADY_EXISTS, 'name');
  });

  test('password strength: length and 3 of 4 classes; never stored in clear', async () => {
    await rejects(() => createRegistry({ name: 'short-pw', password: 'Sh0rt!' }), status.INVALID_ARGUMENT, 'password');
    await rejects(() => createRegistry({ name: 'two-classes', password: 'onlylowercase12345' }), status.INVALID_ARGUMENT, 'password');
    await rejects(
      () => call(registries, 'addPassword', { registry_id: registryId, password: 'abcdefghijklmnop' }, harness.metadata),
      status.INVALID_ARGUMENT,
      'password',
    );
    const device = await createDevice({ name: 'hashed', password: STRONG });
    const [stored] = await harness.store.listPasswords('device', device.id);
    assert.ok(stored, 'the password record exists');
    assert.ok(!stored.hash.includes(STRONG), 'only a hash is stored');
    assert.match(stored.hash, /^scrypt\$/);
  });

  test('certificates: invalid PEM → INVALID_ARGUMENT; fingerprint is SHA-1 of the DER; globally unique', async () => {
    await rejects(
      () => createRegistry({ name: 'bad-cert', certificates: [{ certificate_data: 'not a certificate' }] }),
      status.INVALID_ARGUMENT,
      'certificate',
    );
    const certificate = makeCertificate('unique');
    const device = await createDevice({ name: 'cert-owner', certificates: [{ certificate_data: certificate.certPem }] });
    const [stored] = await harness.store.listCertificates('device', device.id);
    assert.equal(stored?.fingerprint, certificate.opensslFingerprint);
    // The holder is not named (it may be in a folder the caller cannot see): the whole message is this.
    const taken = `^certificate ${certificate.opensslFingerprint} is already attached to a registry, device or broker$`;
    await rejects(
      () => createDevice({ name: 'cert-thief', certificates: [{ certificate_data: certificate.certPem }] }),
      status.ALREADY_EXISTS,
      taken,
    );
    assert.equal(await harness.store.getDeviceByName(registryId, 'cert-thief'), undefined);
    await rejects(
      () => createRegistry({ name: 'cert-thief-registry', certificates: [{ certificate_data: certificate.certPem }] }),
      status.ALREADY_EXISTS,
      taken,
    );
    await rejects(
      () => call(registries, 'addCertificate', { registry_id: registryId, certificate_data: certificate.certPem }, harness.metadata),
      status.ALREADY_EXISTS,
      taken,
    );
  });

  test('topic aliases: at most 5, own device only, no prefix of another alias', async () => {
    const six = Object.fromEntries(Array.from({ length: 6 }, (_, index) => [`a${index}/`, '$devices/{id}/events/']));
    await rejects(() => createDevice({ name: 'six-aliases', topic_aliases: six }), status.INVALID_ARGUMENT, 'topic_aliases');
    await rejects(
      () => createDevice({ name: 'foreign-alias', topic_aliases: { 'x/': '$devices/are00000000000000000/events/' } }),
      status.INVALID_ARGUMENT,
      'topic_aliases',
    );
    await rejects(
      () => createDevice({ name: 'monitoring-alias', topic_aliases: { 'm/': '$monitoring/{id}/json' } }),
      status.INVALID_ARGUMENT,
      'topic_aliases',
    );
    const owner = await createDevice({ name: 'alias-owner', topic_aliases: { 'my/alias/': '$devices/{id}/' } });
    assert.deepEqual(owner.topic_aliases, { 'my/alias/': `$devices/${owner.id}/` });
    for (const clash of ['my/', 'my/alias/2/', 'my/ali']) {
      await rejects(
        () => createDevice({ name: `clash-${clash.length}`, topic_aliases: { [clash]: '$devices/{id}/' } }),
        status.INVALID_ARGUMENT,
        'topic_aliases',
      );
    }
    const allowed = await createDevice({
      name: 'alias-neighbour',
      topic_aliases: { 'my/alias1/': '$devices/{id}/', 'my/ali/': '$devices/{id}/events/' },
    });
    assert.equal(Object.keys(allowed.topic_aliases).length, 2);
  });

  test('registry with devices cannot be deleted → FAILED_PRECONDITION', async () => {
    await rejects(() => call(registries, 'delete', { registry_id: registryId }, harness.metadata), status.FAILED_PRECONDITION, 'device');
    assert.ok(await harness.store.getRegistry(registryId));
  });

  test('quota exceeded → RESOURCE_EXHAUSTED', async () => {
    for (const name of ['broker-1', 'broker-2']) {
      await call(brokers, 'create', CreateBrokerRequest.fromPartial({ folder_id: 'bad-input', name }), harness.metadata);
    }
    await rejects(
      () => call(brokers, 'create', CreateBrokerRequest.fromPartial({ folder_id: 'bad-input', name: 'broker-3' }), harness.metadata),
      status.RESOURCE_EXHAUSTED,
      'iot.brokers.count',
    );
  });

  test('update_mask naming an unknown field → INVALID_ARGUMENT, record unchanged', async () => {
    await rejects(
      () =>
        call(
          registries,
          'update',
          UpdateRegistryRequest.fromPartial({ registry_id: registryId, update_mask: ['folder_id'], name: 'renamed' }),
          harness.metadata,
        ),
      status.INVALID_ARGUMENT,
      'update_mask',
    );
    assert.equal((await harness.store.getRegistry(registryId))?.name, 'base');
  });

  test('paging: page_size above the maximum, device list without scope', async () => {
    await rejects(
      () => call(registries, 'list', { folder_id: 'bad-input', page_size: 1001, page_token: '' }, harness.metadata),
      status.INVALID_ARGUMENT,
      'page_size',
    );
    await rejects(
      () => call(devices, 'list', ListDevicesRequest.fromPartial({}), harness.metadata),
      status.INVALID_ARGUMENT,
      'registry_id',
    );
    // Alias pages: the tokens it writes walk the whole list, and no other token is taken.
    await createDevice({ name: 'aliased', topic_aliases: { 'a/': '$devices/{id}/events/a/', 'b/': '$devices/{id}/events/b/' } });
    type AliasPage = { aliases: unknown[]; next_page_token: string };
    const aliases = (page_size: number, page_token: string) =>
      call<object, AliasPage>(registries, 'listDeviceTopicAliases', { registry_id: registryId, page_size, page_token }, harness.metadata);
    const walked: unknown[] = [];
    let token = '';
    do {
      const page = await aliases(1, token);
      walked.push(...page.aliases);
      token = page.next_page_token;
    } while (token);
    const all = (await aliases(1000, '')).aliases;
    assert.ok(all.length >= 2);
    assert.deepEqual(walked, all);
    for (const page_token of ['abc', '1e3', '1.5', ' 2', '00002', '0', '-1']) {
      await rejects(
        () => call(registries, 'listDeviceTopicAliases', { registry_id: registryId, page_size: 1, page_token }, harness.metadata),
        status.INVALID_ARGUMENT,
        'page_token',
      );
    }
  });
});
