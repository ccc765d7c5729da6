// Scoped tokens against the all-in-one `iotcore serve`, made and revoked with the CLI and used
// through the gRPC API as a backend would: a viewer cannot create, an editor of folder A cannot
// touch folder B, a writer can publish (the message reaches an MQTT subscriber) but not list
// devices, a revoked token is refused within 5 s. The server logs at debug level throughout, and
// no secret (valid or not) may appear in what it wrote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../../support/ports.js';
import { apiChannel, CLI, startServer, stopServer } from '../../support/serve-process.js';
import { promiseClient } from '../../../services/common/grpc-client.js';
import {
  CreateRegistryRequest,
  ListRegistriesRequest,
  RegistryServiceClient,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import {
  CreateDeviceRequest,
  DeviceServiceClient,
  GetDeviceRequest,
  ListDevicesRequest,
  UpdateDeviceRequest,
} from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { DeviceDataServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_data_service.js';
import { RegistryDataServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_data_service.js';
import { AccessTokenServiceClient, CreateAccessTokenRequest } from '../../../services/generated/iotcore/access/v1/access.js';
import { LogServiceClient, ReadLogsRequest } from '../../../services/generated/iotcore/logs/v1/logs.js';

const run = promisify(execFile);
const REGISTRY_PASSWORD = 'Registry-Passw0rd!';
const DEVICE_PASSWORD = 'Device-Passw0rd-1!';

describe('scoped tokens on the all-in-one server', () => {
  let work: string;
  let server: ChildProcess;
  let endpoint: string;
  let mqttPort: number;
  let serverOutput = '';
  const secrets: string[] = [];
  const clients: MqttClient[] = [];
  const opened: Array<{ close(): void }> = [];
  const ids: Record<string, string> = {};

  const cli = async (...args: string[]) =>
    (
      await run(process.execPath, [CLI, ...args], {
        env: { ...process.env, IOTCORE_ENDPOINT: endpoint, IOTCORE_DATA_DIR: path.join(work, 'data'), IOTCORE_TOKEN: '' },
      })
    ).stdout;
  const json = async (...args: string[]) => JSON.parse(await cli(...args, '--format', 'json'));
  /** gRPC clients that send `token`. */
  const as = (token: string) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const channel = apiChannel(path.join(work, 'data'));
    const raw = [
      new RegistryServiceClient(endpoint, channel),
      new DeviceServiceClient(endpoint, channel),
      new DeviceDataServiceClient(endpoint, channel),
      new RegistryDataServiceClient(endpoint, channel),
      new AccessTokenServiceClient(endpoint, channel),
      new LogServiceClient(endpoint, channel),
    ] as const;
    opened.push(...raw);
    const [registries, devices, deviceData, registryData, tokens, logs] = raw;
    return {
      registries: promiseClient(registries, metadata),
      devices: promiseClient(devices, metadata),
      deviceData: promiseClient(deviceData, metadata),
      registryData: promiseClient(registryData, metadata),
      tokens: promiseClient(tokens, metadata),
      logs: promiseClient(logs, metadata),
    };
  };
  const listIn = (folder_id: string) => ListRegistriesRequest.fromPartial({ folder_id });
  const denied = async (promise: Promise<unknown>, message: RegExp) =>
    assert.rejects(promise, (error: ServiceError) => {
      assert.equal(error.code, status.PERMISSION_DENIED, error.message);
      assert.match(error.details, message);
      return true;
    });
  const edit = (device_id: string) => UpdateDeviceRequest.fromPartial({ device_id, update_mask: ['description'], description: 'edited' });
  const newToken = async (...args: string[]) => {
    const created = await json('token', 'create', ...args);
    secrets.push(created.secret);
    return created as { secret: string; access_token: { id: string } };
  };

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-tokens-'));
    const apiPort = await freePort();
    mqttPort = await freePort();
    endpoint = `127.0.0.1:${apiPort}`;
    server = await startServer(path.join(work, 'data'), apiPort, mqttPort, ['--log-level', 'debug']);
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    for (const folder of ['folder-a', 'folder-b']) {
      const registry = await json('--folder-id', folder, 'registry', 'create', '--name', 'r', '--password', REGISTRY_PASSWORD);
      const device = await json(
        '--folder-id',
        folder,
        'device',
        'create',
        '--registry-id',
        registry.id,
        '--name',
        'd',
        '--password',
        DEVICE_PASSWORD,
      );
      ids[`${folder}/registry`] = registry.id;
      ids[`${folder}/device`] = device.id;
    }
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync()));
    for (const client of opened) client.close();
    await stopServer(server);
    await rm(work, { recursive: true, force: true });
  });

  test('a viewer reads its folder and cannot create (PERMISSION_DENIED naming iot.editor)', async () => {
    const viewer = as((await newToken('--folder-id', 'folder-a', '--role', 'iot.viewer', '--description', 'dashboard')).secret);
    const listed = (await viewer.registries.list(listIn('folder-a'))) as { registries: Array<{ id: string }> };
    assert.deepEqual(
      listed.registries.map((registry) => registry.id),
      [ids['folder-a/registry']],
    );
    await denied(
      viewer.registries.create(CreateRegistryRequest.fromPartial({ folder_id: 'folder-a', name: 'more' })),
      /^permission denied: role iot\.editor on folder folder-a required$/,
    );
    await denied(viewer.devices.delete({ device_id: ids['folder-a/device']! }), /role iot\.editor on folder folder-a/);
    await denied(viewer.registries.list(listIn('folder-b')), /role iot\.viewer on folder folder-b/);
  });

  test("connection logs: a viewer reads its folder's and not another's", async () => {
    const viewer = as((await newToken('--folder-id', 'folder-a', '--role', 'iot.viewer')).secret);
    const logOf = (source: ReadLogsRequest['source']) => viewer.logs.read(ReadLogsRequest.fromPartial({ source }));
    await logOf({ $case: 'device_id', value: ids['folder-a/device']! });
    await logOf({ $case: 'registry_id', value: ids['folder-a/registry']! });
    await denied(logOf({ $case: 'device_id', value: ids['folder-b/device']! }), /role iot\.viewer on folder folder-b/);
    await denied(logOf({ $case: 'registry_id', value: ids['folder-b/registry']! }), /role iot\.viewer on folder folder-b/);
    // The log of something that does not exist (any more) is for bootstrap admins.
    await denied(logOf({ $case: 'device_id', value: 'are00000000000000000' }), /bootstrap admin/);
  });

  test('an editor of folder A manages A and cannot touch folder B', async () => {
    const editorToken = await newToken('--folder-id', 'folder-a', '--role', 'iot.editor');
    const editor = as(editorToken.secret);
    const operation = await editor.registries.create(CreateRegistryRequest.fromPartial({ folder_id: 'folder-a', name: 'by-editor' }));
    assert.equal(operation.created_by, `token:${editorToken.access_token.id}`, 'the operation names who made it');
    await editor.devices.update(edit(ids['folder-a/device']!));

    const inB = /role iot\.(editor|viewer|devices\.writer) on folder folder-b/;
    await denied(editor.registries.create(CreateRegistryRequest.fromPartial({ folder_id: 'folder-b', name: 'intruder' })), inB);
    await denied(editor.registries.get({ registry_id: ids['folder-b/registry']! }), inB);
    await denied(editor.registries.delete({ registry_id: ids['folder-b/registry']! }), inB);
    await denied(editor.registries.listPasswords({ registry_id: ids['folder-b/registry']! }), inB);
    // A device's folder is its registry's, whatever the request says.
    await denied(editor.devices.get(GetDeviceRequest.fromPartial({ device_id: ids['folder-b/device']! })), inB);
    await denied(editor.devices.update(edit(ids['folder-b/device']!)), inB);
    await denied(editor.devices.list(ListDevicesRequest.fromPartial({ id: { $case: 'folder_id', value: 'folder-b' } })), inB);
    await denied(editor.devices.create(CreateDeviceRequest.fromPartial({ registry_id: ids['folder-b/registry']!, name: 'planted' })), inB);
    await denied(
      editor.deviceData.publish({
        device_id: ids['folder-b/device']!,
        topic: `$devices/${ids['folder-b/device']}/events`,
        data: Buffer.from('x'),
      }),
      inB,
    );
    // Admin is needed to hand out tokens, even for the editor's own folder.
    await denied(
      editor.tokens.create(CreateAccessTokenRequest.fromPartial({ grants: [{ folder_id: 'folder-a', role: 'iot.viewer' }] })),
      /role admin on folder folder-a/,
    );
  });

  test('a writer publishes as a device and as a registry (MQTT subscribers receive) but cannot list devices', async () => {
    const device = ids['folder-a/device']!;
    const registry = ids['folder-a/registry']!;
    const writer = as(
      (await newToken('--folder-id', 'folder-a', '--role', 'iot.devices.writer', '--role', 'iot.registries.writer')).secret,
    );
    const ca = await readFile(path.join(work, 'data/tls/ca.pem'));
    const subscriber = async (username: string, password: string, topic: string) => {
      const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, { username, password, ca, reconnectPeriod: 0 });
      clients.push(client);
      await client.subscribeAsync(topic, { qos: 1 });
      // Wrapped: an async function returning the bare promise would make the caller wait for the message.
      const message = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nothing on ${topic} within 5 s`)), 5000);
        client.once('message', (_topic, payload) => {
          clearTimeout(timer);
          resolve(payload.toString());
        });
      });
      return { message };
    };
    const event = await subscriber(registry, REGISTRY_PASSWORD, `$devices/${device}/events`);
    const command = await subscriber(device, DEVICE_PASSWORD, `$devices/${device}/commands`);
    await writer.deviceData.publish({ device_id: device, topic: `$devices/${device}/events`, data: Buffer.from('telemetry') });
    await writer.registryData.publish({ registry_id: registry, topic: `$devices/${device}/commands`, data: Buffer.from('reboot') });
    assert.equal(await event.message, 'telemetry');
    assert.equal(await command.message, 'reboot');

    await denied(
      writer.devices.list(ListDevicesRequest.fromPartial({ id: { $case: 'registry_id', value: registry } })),
      /role iot\.viewer on folder folder-a/,
    );
    await denied(writer.devices.get(GetDeviceRequest.fromPartial({ device_id: device })), /role iot\.viewer on folder folder-a/);
  });

  test('token list shows IDs and grants, never secrets; a revoked token is refused within 5 s', async () => {
    const revoked = await newToken('--folder-id', 'folder-a', '--role', 'iot.viewer', '--expires-in', '1h');
    const user = as(revoked.secret);
    await user.registries.list(listIn('folder-a'));

    const listed = await json('--folder-id', 'folder-a', 'token', 'list');
    assert.ok(listed.some((token: { id: string }) => token.id === revoked.access_token.id));
    assert.equal(listed.length, secrets.length, 'every token made so far is on folder-a');
    const table = await cli('--folder-id', 'folder-a', 'token', 'list');
    assert.match(table, new RegExp(`${revoked.access_token.id}.*folder-a=iot\\.viewer`));
    for (const secret of secrets) assert.ok(!JSON.stringify(listed).includes(secret) && !table.includes(secret));
    assert.equal((await json('--folder-id', 'folder-b', 'token', 'list')).length, 0);

    await cli('token', 'revoke', revoked.access_token.id);
    const deadline = Date.now() + 5000;
    for (;;) {
      const outcome = await user.registries.list(listIn('folder-a')).then(
        () => 'accepted',
        (error: ServiceError) => error.code,
      );
      if (outcome === status.UNAUTHENTICATED) break;
      assert.equal(outcome, 'accepted');
      assert.ok(Date.now() < deadline, 'refused within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('no secret appears in the server log, not even an unknown one that was presented', async () => {
    const unknown = `iotc_${'A'.repeat(43)}`;
    await assert.rejects(as(unknown).registries.list(listIn('folder-a')), (error: ServiceError) => error.code === status.UNAUTHENTICATED);
    // Give the server a moment to flush what it logged about the calls above.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(serverOutput.length > 0, 'the server logged while the tokens were used');
    assert.ok(secrets.length >= 4);
    for (const secret of [...secrets, unknown]) {
      // The random part alone too, should something strip the prefix.
      assert.ok(!serverOutput.includes(secret.slice(5)), `a token secret was logged:\n${serverOutput}`);
    }
  });
});
