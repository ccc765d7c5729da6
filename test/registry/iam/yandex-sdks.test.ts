// Yandex's own SDKs against `iotcore serve`, configured as the README's "Coming from Yandex" says.
// Python: the key file `iotcore iam key create` wrote, the endpoint and the CA, nothing else. It
// finds the services through endpoint discovery, trades its JWT for an IAM token, creates, lists,
// publishes through the data-plane API (an MQTT subscriber receives it) and deletes; a key without
// the role is refused, and a deleted key's IAM token stops working within seconds. Go (go-sdk/v2):
// the same key file, iotcore as the discovery endpoint and its CA as Go's roots, the same flow.
// Node: a Session with an API token as its IAM token and the address given to each client. The
// API runs on its default TLS, the local CA's certificate.
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
import { freePort } from '../../support/ports.js';
import { CLI, startServer, stopServer } from '../../support/serve-process.js';
import { REPO_ROOT } from '../../support/tools.js';
import { TOKEN_CACHE_TTL_MS } from '../../../services/registry/api/access.js';
import { ensurePythonSdk } from './python-sdk.js';
import { ensureGoSdkFlow, goSdkVersion } from './go-sdk.js';

const run = promisify(execFile);
const FLOW = path.join(REPO_ROOT, 'test/registry/iam/yandex_sdk_flow.py');
const FOLDER = 'sdk-folder';

// Run alone on a fresh machine the test installs the Python SDK and builds the Go program itself
// (a cold Go build fetched ~170 MB of modules in 2.5 minutes here); npm test provisions both first.
test("Yandex's SDKs need only the endpoint and the CA: Python and Go with a service account key file, Node with an API token", {
  timeout: 600_000,
}, async (t) => {
  const started = Date.now();
  const python = await ensurePythonSdk();
  t.diagnostic(`yandexcloud ready in ${Date.now() - started} ms`);
  const goStarted = Date.now();
  const goFlow = await ensureGoSdkFlow();
  t.diagnostic(`go-sdk/v2 ${await goSdkVersion()} program ready in ${Date.now() - goStarted} ms`);

  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-python-sdk-'));
  const [apiPort, mqttPort] = [await freePort(), await freePort()];
  // The API's default TLS: a certificate from the local CA the server makes in data/tls.
  const server: ChildProcess = await startServer(path.join(work, 'data'), apiPort, mqttPort, ['--rest-listen', 'off']);
  const caFile = path.join(work, 'data/tls/ca.pem');
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
        [CLI, '--endpoint', endpoint, '--api-ca', caFile, '--token', adminToken, '--folder-id', FOLDER, ...args],
        {
          env: { ...process.env, NODE_NO_WARNINGS: '1' },
        },
      )
    ).stdout;
  /** One step of yandex_sdk_flow.py with these credentials; its JSON answer. */
  const sdk = async (step: string, env: Record<string, string>) => {
    const { stdout } = await run(python, [FLOW, step], {
      env: { ...process.env, IOTCORE_ENDPOINT: endpoint, IOTCORE_CA: caFile, FOLDER_ID: FOLDER, ...env },
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
    const discovery = new ApiEndpointServiceClient(endpoint, credentials.createSsl(await readFile(caFile)));
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

  /** MQTT subscribers, as the registry to the device's events and as the device to its commands; each resolves on its first message. */
  const subscribers = async (target: { REGISTRY_ID: string; DEVICE_ID: string }, password: string) => {
    const ca = await readFile(caFile);
    const subscriber = async (username: string, topic: string) => {
      const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
        username,
        password,
        ca,
        clientId: `sdk-${clients.length}`,
        reconnectPeriod: 0,
      });
      clients.push(client);
      await client.subscribeAsync(topic, { qos: 1 });
      // Wrapped: an async function returning the promise itself would make `await subscriber()` wait for the message.
      return { message: new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString()))) };
    };
    return {
      events: await subscriber(target.REGISTRY_ID, `$devices/${target.DEVICE_ID}/events`),
      commands: await subscriber(target.DEVICE_ID, `$devices/${target.DEVICE_ID}/commands`),
    };
  };

  await t.test('data-plane Publish as the device and as the registry reaches MQTT subscribers', async () => {
    const { events, commands } = await subscribers(ids, created.password as string);
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

  await t.test('brokers, on the channel the SDK opens for iot-devices (README: it has no broker service id)', async () => {
    assert.deepEqual(await sdk('broker', { YC_KEY_FILE: editorKey }), { created: ['py-broker'], after: [] });
  });

  await t.test('delete (the Delete operations waited for too)', async () => {
    const after = await sdk('delete', { YC_KEY_FILE: editorKey, ...ids });
    assert.deepEqual(after, { registries: [] });
  });

  /** One step of the Go program (test/tools/yandex-go-sdk) with this key file: its JSON answer. */
  const goSdk = async (step: string, keyFile: string, extra: Record<string, string> = {}) => {
    const stepStarted = Date.now();
    const { stdout } = await run(goFlow, [step], {
      // go-sdk v2 dials with the system's roots only: SSL_CERT_FILE is how Go is given a CA for them.
      env: { ...process.env, IOTCORE_ENDPOINT: endpoint, SSL_CERT_FILE: caFile, FOLDER_ID: FOLDER, YC_KEY_FILE: keyFile, ...extra },
    });
    t.diagnostic(`go-sdk ${step}: ${Date.now() - stepStarted} ms`);
    return JSON.parse(stdout) as Record<string, unknown> & { code?: string; details?: string };
  };

  await t.test('Go SDK (go-sdk/v2): key file, discovery endpoint and CA; create and list, publish, PERMISSION_DENIED, delete', async () => {
    const made = await goSdk('create', editorKey);
    assert.equal(made.code, undefined, JSON.stringify(made));
    assert.deepEqual(made.registries, ['go-registry']);
    assert.deepEqual(made.devices, ['go-device']);
    const target = { REGISTRY_ID: made.registry_id as string, DEVICE_ID: made.device_id as string };

    const { events, commands } = await subscribers(target, made.password as string);
    assert.deepEqual(await goSdk('publish', editorKey, target), {});
    assert.equal(await events.message, 'from the Go device');
    assert.equal(await commands.message, 'from the Go registry');

    const denied = await goSdk('create', viewerKey);
    assert.equal(denied.code, 'PermissionDenied', JSON.stringify(denied));
    assert.match(denied.details!, /role iot\.editor on folder sdk-folder required/);

    assert.deepEqual(await goSdk('delete', editorKey, target), { registries: [] });
  });

  await t.test('Node SDK: a Session with an API token as its IAM token, the CA, and the address per client', async () => {
    const session = new Session({ iamToken: adminToken, ssl: { rootCerts: await readFile(caFile) } });
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
    // A revocation holds on every replica within the token cache's lifetime (services/registry/api/access.ts).
    await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_TTL_MS + 200));
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
    // And the Go SDK's exchange of the deleted key.
    const goExchange = await goSdk('list', editorKey);
    assert.match(`${goExchange.code} ${goExchange.details}`, /Unauthenticated|UNAUTHENTICATED/, JSON.stringify(goExchange));
  });
});
