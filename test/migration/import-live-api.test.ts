// `iotcore import yandex --api`: a second iotcore plays Yandex IoT Core (it serves the same gRPC
// API). The folder is read through that API, imported into a fresh `iotcore serve`, compared field
// by field, and then a device connects to the new server with its original certificate and
// publishes to its original topic and alias, which its registry receives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import mqtt from 'mqtt';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device, DeviceView } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { Broker } from '../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import { promiseClient } from '../../services/common/grpc-client.js';
import { startApi, ADMIN_TOKEN, createdId } from '../registry/api/harness.js';
import { makeCertificate } from '../support/certificates.js';
import { freePort } from '../support/ports.js';
import { apiChannel, CLI, startServer, stopServer } from '../support/serve-process.js';
import { nextMessage } from '../edge/harness.js';

const FOLDER = 'b1gyandexfolder00001';
const REGISTRY_PASSWORD = 'Registry-Passw0rd-Yandex';
const DEVICE_PASSWORD = 'Device-Passw0rd-Yandex!';

function clients(address: string, token: string, channelCredentials: ChannelCredentials) {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const channel = {
    registries: new RegistryServiceClient(address, channelCredentials),
    devices: new DeviceServiceClient(address, channelCredentials),
    brokers: new BrokerServiceClient(address, channelCredentials),
  };
  return {
    registries: promiseClient(channel.registries, metadata),
    devices: promiseClient(channel.devices, metadata),
    brokers: promiseClient(channel.brokers, metadata),
    close: () => Object.values(channel).forEach((client) => client.close()),
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('import a folder through the live API and reconnect its devices unchanged', async (t) => {
  // --- "Yandex": populate a folder the way a customer would have it ---------------------------
  const yandex = await startApi();
  t.after(() => yandex.close());
  const source = clients(yandex.address, ADMIN_TOKEN, credentials.createInsecure());
  t.after(() => source.close());
  const registryCert = makeCertificate('registry');
  const deviceCert = makeCertificate('device-with-cert');
  const brokerCert = makeCertificate('broker');

  const registryId = createdId(
    await source.registries.create({
      folder_id: FOLDER,
      name: 'factory',
      description: 'main plant',
      labels: { env: 'prod' },
      certificates: [{ certificate_data: registryCert.certPem }],
      password: REGISTRY_PASSWORD,
      log_options: undefined,
    }),
    Registry,
  );
  const certDeviceId = createdId(
    await source.devices.create({
      registry_id: registryId,
      name: 'press-1',
      description: 'hydraulic press',
      labels: { line: 'a' },
      certificates: [{ certificate_data: deviceCert.certPem }],
      topic_aliases: { 'plant/press1/': '$devices/{id}/events/', 'plant/press1cmd/': '$devices/{id}/commands/' },
      password: '',
    }),
    Device,
  );
  const passwordDeviceId = createdId(
    await source.devices.create({
      registry_id: registryId,
      name: 'meter-1',
      description: '',
      labels: {},
      certificates: [],
      topic_aliases: { 'plant/meter1/': '$devices/{id}/state/' },
      password: DEVICE_PASSWORD,
    }),
    Device,
  );
  const disabledId = createdId(
    await source.registries.create({
      folder_id: FOLDER,
      name: 'retired',
      description: '',
      labels: {},
      certificates: [],
      password: '',
      log_options: undefined,
    }),
    Registry,
  );
  await source.devices.create({
    registry_id: disabledId,
    name: 'old-1',
    description: '',
    labels: {},
    certificates: [],
    topic_aliases: {},
    password: '',
  });
  await source.registries.disable({ registry_id: disabledId });
  const brokerId = createdId(
    await source.brokers.create({
      folder_id: FOLDER,
      name: 'shop-floor',
      description: 'broker',
      labels: { team: 'ops' },
      certificates: [{ certificate_data: brokerCert.certPem }],
      password: 'Broker-Passw0rd-Yandex',
      log_options: undefined,
    }),
    Broker,
  );

  // --- the new iotcore --------------------------------------------------------------------------
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-import-'));
  const [apiPort, mqttPort] = [await freePort(), await freePort()];
  const server = await startServer(dataDir, apiPort, mqttPort);
  t.after(async () => {
    await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  });
  const targetToken = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
  const target = clients(`127.0.0.1:${apiPort}`, targetToken, apiChannel(dataDir));
  t.after(() => target.close());

  // The user's provisioning records know the registry's and meter-1's passwords; the broker's is
  // lost and gets a new one.
  const passwordsFile = path.join(dataDir, 'passwords.csv');
  await writeFile(passwordsFile, `${registryId},${REGISTRY_PASSWORD}\n${passwordDeviceId},${DEVICE_PASSWORD}\n`);
  const generatedFile = path.join(dataDir, 'generated.csv');
  const importArgs = [
    '--endpoint',
    `127.0.0.1:${apiPort}`,
    '--api-ca',
    path.join(dataDir, 'tls/ca.pem'),
    '--token',
    targetToken,
    '--folder-id',
    FOLDER,
    '--format',
    'json',
    'import',
    'yandex',
    '--api',
    '--yandex-endpoint',
    yandex.address,
    '--yandex-insecure',
    '--yandex-token',
    ADMIN_TOKEN,
    '--passwords-file',
    passwordsFile,
    '--generate-passwords',
    generatedFile,
  ];
  const first = await runCli(importArgs);
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as {
    summary: Record<string, number>;
    resources: Array<{ id: string; passwords_generated: string[] }>;
  };
  assert.deepEqual(report.summary, { create: 6, update: 0, unchanged: 0, conflict: 0, error: 0 });
  for (const secret of [REGISTRY_PASSWORD, DEVICE_PASSWORD]) {
    assert.ok(!first.stdout.includes(secret) && !first.stderr.includes(secret), 'no password on the terminal');
  }

  await t.test('every field matches the source', async () => {
    for (const id of [registryId, disabledId]) {
      assert.deepEqual(
        Registry.toJSON(await target.registries.get({ registry_id: id })),
        Registry.toJSON(await source.registries.get({ registry_id: id })),
      );
      assert.deepEqual(
        (await target.registries.listCertificates({ registry_id: id })).certificates,
        (await source.registries.listCertificates({ registry_id: id })).certificates,
      );
      const devices = async (api: typeof source) =>
        (
          await api.devices.list({ id: { $case: 'registry_id', value: id }, page_size: 100, page_token: '', device_view: DeviceView.BASIC })
        ).devices.map((d) => Device.toJSON(d));
      assert.deepEqual(await devices(target), await devices(source));
      assert.deepEqual(
        await target.registries.listDeviceTopicAliases({ registry_id: id, page_size: 100, page_token: '' }),
        await source.registries.listDeviceTopicAliases({ registry_id: id, page_size: 100, page_token: '' }),
      );
    }
    assert.equal((Registry.toJSON(await target.registries.get({ registry_id: disabledId })) as { status: string }).status, 'DISABLED');
    assert.deepEqual(
      await target.registries.listPasswords({ registry_id: registryId }),
      await source.registries.listPasswords({ registry_id: registryId }),
      'password IDs and created_at kept',
    );
    for (const id of [certDeviceId, passwordDeviceId]) {
      assert.deepEqual(
        (await target.devices.listCertificates({ device_id: id })).certificates,
        (await source.devices.listCertificates({ device_id: id })).certificates,
      );
      assert.deepEqual(await target.devices.listPasswords({ device_id: id }), await source.devices.listPasswords({ device_id: id }));
    }
    assert.deepEqual(
      Broker.toJSON(await target.brokers.get({ broker_id: brokerId })),
      Broker.toJSON(await source.brokers.get({ broker_id: brokerId })),
    );
    assert.deepEqual(
      (await target.brokers.listCertificates({ broker_id: brokerId })).certificates,
      (await source.brokers.listCertificates({ broker_id: brokerId })).certificates,
    );
    assert.deepEqual(
      await target.brokers.listPasswords({ broker_id: brokerId }),
      await source.brokers.listPasswords({ broker_id: brokerId }),
    );
  });

  await t.test('a lost password is replaced by a generated one in a private file', async () => {
    assert.equal((await stat(generatedFile)).mode & 0o777, 0o600);
    const rows = (await readFile(generatedFile, 'utf8')).trim().split('\n');
    assert.equal(rows[0], 'entity_id,password,password_id');
    assert.equal(rows.length, 2, 'only the broker needed a new password');
    const [entity, password] = rows[1]!.split(',');
    assert.equal(entity, brokerId);
    assert.ok(!first.stdout.includes(password!), 'the generated password is only in the file');
    const broker = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca: await readFile(path.join(dataDir, 'tls', 'ca.pem')),
      username: brokerId,
      password,
      clientId: 'gen-check',
      reconnectPeriod: 0,
    });
    await broker.endAsync();
  });

  await t.test('a device connects with its original certificate; its registry gets the original topic and the alias', async () => {
    const ca = await readFile(path.join(dataDir, 'tls', 'ca.pem'));
    const registry = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca,
      username: registryId,
      password: REGISTRY_PASSWORD,
      clientId: 'backend',
      reconnectPeriod: 0,
    });
    await registry.subscribeAsync(`$devices/${certDeviceId}/events/#`, { qos: 1 });
    const device = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca,
      cert: deviceCert.certPem,
      key: deviceCert.keyPem,
      clientId: 'press',
      reconnectPeriod: 0,
    });

    const direct = nextMessage(registry);
    await device.publishAsync(`$devices/${certDeviceId}/events/pressure`, '118', { qos: 1 });
    assert.deepEqual([(await direct).topic, (await direct).payload.toString()], [`$devices/${certDeviceId}/events/pressure`, '118']);
    const viaAlias = nextMessage(registry);
    await device.publishAsync('plant/press1/pressure', '119', { qos: 1 });
    assert.deepEqual([(await viaAlias).topic, (await viaAlias).payload.toString()], [`$devices/${certDeviceId}/events/pressure`, '119']);
    await Promise.all([device.endAsync(), registry.endAsync()]);

    const meter = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      ca,
      username: passwordDeviceId,
      password: DEVICE_PASSWORD,
      clientId: 'meter',
      reconnectPeriod: 0,
    });
    await meter.endAsync();
    const refused = await mqtt
      .connectAsync(`mqtts://localhost:${mqttPort}`, {
        ca,
        username: passwordDeviceId,
        password: 'Wrong-Passw0rd-123',
        clientId: 'meter',
        reconnectPeriod: 0,
      })
      .then(
        () => 'connected',
        (error: { code?: number }) => error.code,
      );
    assert.equal(refused, 4, 'the imported hash rejects a wrong password');
  });

  await t.test('a rerun reports everything unchanged and generates nothing new', async () => {
    const before = await readFile(generatedFile, 'utf8');
    const again = await runCli(importArgs);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { summary: Record<string, number> }).summary, {
      create: 0,
      update: 0,
      unchanged: 6,
      conflict: 0,
      error: 0,
    });
    assert.equal(await readFile(generatedFile, 'utf8'), before);
  });
});
