// Yandex's own SDKs against `iotcore serve`, configured as the README's "Coming from Yandex" says.
// Python: the key file `iotcore iam key create` wrote, the endpoint and the CA, nothing else. It
// finds the services through endpoint discovery, trades its JWT for an IAM token, creates, lists,
// publishes through the data-plane API (an MQTT subscriber receives it) and deletes; a key without
// the role is refused, and a deleted key's IAM token stops working within seconds. Node: a Session
// with an API token as its IAM token and the address given to each client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import mqtt from 'mqtt';
import { Session } from '@yandex-cloud/nodejs-sdk';
import * as yRegistryService from '@yandex-cloud/nodejs-sdk/iot-devices-v1/registry_service';
import { ApiEndpointServiceClient } from '../../../services/generated/yandex/cloud/endpoint/api_endpoint_service.js';
import { makeCertificate } from '../../support/certificates.js';
import { freePort } from '../../support/ports.js';
import { CLI, startServer, stopServer } from '../../support/serve-process.js';
import { REPO_ROOT } from '../../support/tools.js';
import { TOKEN_CACHE_TTL_MS } from '../../../services/registry/api/access.js';
import { ensurePythonSdk } from './python-sdk.js';

const run = promisify(execFile);
const FLOW = path.join(REPO_ROOT, 'test/registry/iam/yandex_sdk_flow.py');
const FOLDER = 'sdk-folder';

test("Yandex's SDKs need only the endpoint and the CA: Python with a service account key file, Node with an API token", {
  timeout: 300_000,
}, async (t) => {
  const started = Date.now();
  const python = await ensurePythonSdk();
  t.diagnostic(`yandexcloud ready in ${Date.now() - started} ms`);

  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-python-sdk-'));
  const [apiPort, mqttPort] = [await freePort(), await freePort()];
  const apiCertificate = makeCertificate('localhost', 'IP:127.0.0.1,DNS:localhost');
  const server: ChildProcess = await startServer(path.join(work, 'data'), apiPort, mqttPort, [
    '--rest-listen',
    'off',
    '--api-tls-cert',
    apiCertificate.certFile,
    '--api-tls-key',
    apiCertificate.keyFile,
  ]);
  const clients: mqtt.MqttClient[] = [];
  t.after(async () => {
    for (const client of clients) await client.endAsync(true);
    await stopServer(server);
    await rm(work, { recursive: true, force: true });
  });
  const endpoint = `127.0.0.1:${apiPort}`;
  const adminToken = (await readFile(path.join(work, 'data/admin-token'), 'utf8')).trim();
  const iotcore = async (...args: string[]) =>
    (
      await run(
        process.execPath,
        [CLI, '--endpoint', endpoint, '--api-ca', apiCertificate.certFile, '--token', adminToken, '--folder-id', FOLDER, ...args],
        {
          env: { ...process.env, NODE_NO_WARNINGS: '1' },
        },
      )
    ).stdout;
  /** One step of yandex_sdk_flow.py with these credentials; its JSON answer. */
  const sdk = async (step: string, env: Record<string, string>) => {
    const { stdout } = await run(python, [FLOW, step], {
      env: { ...process.env, IOTCORE_ENDPOINT: endpoint, IOTCORE_CA: apiCertificate.certFile, FOLDER_ID: FOLDER, ...env },
    });
    return JSON.parse(stdout) as Record<string, unknown> & { code?: string; details?: string };
  };
  const keyFile = async (account: string, role: string) => {
    await iotcore('iam', 'service-account', 'create', '--name', account, '--role', role);
    const file = path.join(work, `${account}.json`);
    await iotcore('iam', 'key', 'create', '--service-account', account, '--output', file);
    return file;
  };
  const editorKey = await keyFile('robot', 'iot.editor');
  const viewerKey = await keyFile('watcher', 'iot.viewer');

  await t.test('endpoint discovery answers every IoT service id with the API address', async () => {
    const discovery = new ApiEndpointServiceClient(endpoint, credentials.createSsl(await readFile(apiCertificate.certFile)));
    t.after(() => discovery.close());
    const listed = await new Promise<{ endpoints: Array<{ id: string; address: string }> }>((resolve, reject) =>
      discovery.list({ page_size: 0, page_token: '' }, (error, response) => (error ? reject(error) : resolve(response))),
    );
    const addresses = Object.fromEntries(listed.endpoints.map((entry) => [entry.id, entry.address]));
    for (const id of ['iot-devices', 'iot-data', 'iot-broker', 'operation', 'iam', 'endpoint']) assert.equal(addresses[id], endpoint, id);
  });

  const created = await sdk('create', { YC_KEY_FILE: editorKey });
  await t.test('create (operations waited for with create_operation_and_get_result) and list', () => {
    assert.equal(created.code, undefined, JSON.stringify(created));
    assert.deepEqual(created.registries, ['py-registry']);
    assert.deepEqual(created.devices, ['py-device']);
  });
  const ids = { REGISTRY_ID: created.registry_id as string, DEVICE_ID: created.device_id as string };

  await t.test('data-plane Publish as the device and as the registry reaches MQTT subscribers', async () => {
    const ca = await readFile(path.join(work, 'data/tls/ca.pem'));
    const subscriber = async (username: string, topic: string) => {
      const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
        username,
        password: created.password as string,
        ca,
        clientId: `py-${clients.length}`,
        reconnectPeriod: 0,
      });
      clients.push(client);
      await client.subscribeAsync(topic, { qos: 1 });
      // Wrapped: an async function returning the promise itself would make `await subscriber()` wait for the message.
      return { message: new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString()))) };
    };
    const events = await subscriber(ids.REGISTRY_ID, `$devices/${ids.DEVICE_ID}/events`);
    const commands = await subscriber(ids.DEVICE_ID, `$devices/${ids.DEVICE_ID}/commands`);
    assert.deepEqual(await sdk('publish', { YC_KEY_FILE: editorKey, ...ids }), {});
    assert.equal(await events.message, 'from the device');
    assert.equal(await commands.message, 'from the registry');
  });

  await t.test('a key whose account lacks the role gets PERMISSION_DENIED', async () => {
    const denied = await sdk('create', { YC_KEY_FILE: viewerKey });
    assert.equal(denied.code, 'PERMISSION_DENIED');
    assert.match(denied.details!, /role iot\.editor on folder sdk-folder required/);
    assert.deepEqual((await sdk('list', { YC_KEY_FILE: viewerKey })).registries, ['py-registry'], 'what the role allows works');
  });

  await t.test('delete (the Delete operations waited for too)', async () => {
    const after = await sdk('delete', { YC_KEY_FILE: editorKey, ...ids });
    assert.deepEqual(after, { registries: [] });
  });

  await t.test('Node SDK: a Session with an API token as its IAM token, the CA, and the address per client', async () => {
    const session = new Session({ iamToken: adminToken, ssl: { rootCerts: await readFile(apiCertificate.certFile) } });
    const registries = session.client(yRegistryService.RegistryServiceClient, endpoint);
    const listed = await registries.list(yRegistryService.ListRegistriesRequest.fromPartial({ folderId: FOLDER }));
    assert.deepEqual(
      listed.registries.map((registry) => registry.name),
      [],
    );
  });

  await t.test("an API token given as the SDK's OAuth token works, and stops when revoked", async () => {
    const secret = /iotc_[A-Za-z0-9_-]{43}/.exec(await iotcore('token', 'create', '--role', 'iot.viewer'))![0];
    assert.deepEqual(await sdk('list', { YC_OAUTH_TOKEN: secret }), { registries: [] });
    const [token] = JSON.parse(await iotcore('--format', 'json', 'token', 'list')) as Array<{ id: string }>;
    await iotcore('token', 'revoke', token!.id);
    const refused = await sdk('list', { YC_OAUTH_TOKEN: secret });
    assert.match(`${refused.code} ${refused.details}`, /UNAUTHENTICATED/);
  });

  await t.test("a deleted key's IAM token gets UNAUTHENTICATED within seconds", async () => {
    const { iam_token } = (await sdk('iam-token', { YC_KEY_FILE: editorKey })) as { iam_token: string };
    assert.match(iam_token, /^t1\./);
    assert.deepEqual(await sdk('list', { YC_IAM_TOKEN: iam_token }), { registries: [] });
    const keyId = (JSON.parse(await readFile(editorKey, 'utf8')) as { id: string }).id;
    await iotcore('iam', 'key', 'delete', keyId);
    await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_TTL_MS + 200));
    const refused = await sdk('list', { YC_IAM_TOKEN: iam_token });
    assert.equal(refused.code, 'UNAUTHENTICATED', JSON.stringify(refused));
    // The SDK's own exchange fails too; grpc reports a failed credentials plugin as UNAVAILABLE naming the cause.
    const exchange = await sdk('list', { YC_KEY_FILE: editorKey });
    assert.match(`${exchange.code} ${exchange.details}`, /UNAUTHENTICATED/);
  });
});
