// Certificate and password RPCs of all three services: add, list, delete, with the operation
// metadata and response types Yandex clients decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { RegistryServiceClient, CreateRegistryRequest } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient, CreateDeviceRequest } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient, CreateBrokerRequest } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Registry } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { Broker } from '../../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import { call, startApi } from './harness.js';
import { makeCertificate } from '../../support/certificates.js';

test('certificate and password RPCs for registries, devices and brokers', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const md = harness.metadata;
  const clients = {
    Registry: new RegistryServiceClient(harness.address, harness.channel),
    Device: new DeviceServiceClient(harness.address, harness.channel),
    Broker: new BrokerServiceClient(harness.address, harness.channel),
  };
  t.after(() => Object.values(clients).forEach((client) => client.close()));
  const responseOf = (operation: Operation) =>
    (operation.result as { $case: 'response'; value: { type_url: string; value: Buffer } }).value;

  const registry = Registry.decode(
    responseOf(
      await call<unknown, Operation>(clients.Registry, 'create', CreateRegistryRequest.fromPartial({ folder_id: 'f', name: 'r' }), md),
    ).value,
  );
  const device = Device.decode(
    responseOf(
      await call<unknown, Operation>(
        clients.Device,
        'create',
        CreateDeviceRequest.fromPartial({ registry_id: registry.id, name: 'd' }),
        md,
      ),
    ).value,
  );
  const broker = Broker.decode(
    responseOf(await call<unknown, Operation>(clients.Broker, 'create', CreateBrokerRequest.fromPartial({ folder_id: 'f', name: 'b' }), md))
      .value,
  );
  const owners = [
    { entity: 'Registry', pkg: 'yandex.cloud.iot.devices.v1', client: clients.Registry, idField: 'registry_id', id: registry.id },
    { entity: 'Device', pkg: 'yandex.cloud.iot.devices.v1', client: clients.Device, idField: 'device_id', id: device.id },
    { entity: 'Broker', pkg: 'yandex.cloud.iot.broker.v1', client: clients.Broker, idField: 'broker_id', id: broker.id },
  ] as const;

  for (const owner of owners) {
    const certificate = makeCertificate(owner.entity);
    const added = await call<unknown, Operation>(
      owner.client,
      'addCertificate',
      { [owner.idField]: owner.id, certificate_data: certificate.certPem },
      md,
    );
    assert.equal(added.description, `Add ${owner.entity.toLowerCase()} certificate`);
    assert.equal(added.metadata?.type_url, `type.googleapis.com/${owner.pkg}.Add${owner.entity}CertificateMetadata`);
    assert.equal(responseOf(added).type_url, `type.googleapis.com/${owner.pkg}.${owner.entity}Certificate`);
    const listed = await call<unknown, { certificates: Array<{ fingerprint: string }> }>(
      owner.client,
      'listCertificates',
      { [owner.idField]: owner.id },
      md,
    );
    assert.deepEqual(
      listed.certificates.map((entry) => entry.fingerprint),
      [certificate.opensslFingerprint],
    );
    const removed = await call<unknown, Operation>(
      owner.client,
      'deleteCertificate',
      { [owner.idField]: owner.id, fingerprint: certificate.opensslFingerprint.toUpperCase() },
      md,
    );
    assert.equal(removed.metadata?.type_url, `type.googleapis.com/${owner.pkg}.Delete${owner.entity}CertificateMetadata`);
    assert.equal(responseOf(removed).type_url, 'type.googleapis.com/google.protobuf.Empty');
    await assert.rejects(
      call(owner.client, 'deleteCertificate', { [owner.idField]: owner.id, fingerprint: certificate.opensslFingerprint }, md),
      { code: status.NOT_FOUND },
    );

    const password = await call<unknown, Operation>(
      owner.client,
      'addPassword',
      { [owner.idField]: owner.id, password: 'Rotated-Passw0rd-01' },
      md,
    );
    assert.equal(password.metadata?.type_url, `type.googleapis.com/${owner.pkg}.Add${owner.entity}PasswordMetadata`);
    const passwords = await call<unknown, { passwords: Array<{ id: string }> }>(
      owner.client,
      'listPasswords',
      { [owner.idField]: owner.id },
      md,
    );
    assert.equal(passwords.passwords.length, 1);
    await call(owner.client, 'deletePassword', { [owner.idField]: owner.id, password_id: passwords.passwords[0]!.id }, md);
    assert.deepEqual(
      (await call<unknown, { passwords: unknown[] }>(owner.client, 'listPasswords', { [owner.idField]: owner.id }, md)).passwords,
      [],
    );
    await assert.rejects(call(owner.client, 'listPasswords', { [owner.idField]: 'are00000000000000000' }, md), { code: status.NOT_FOUND });
  }
});
