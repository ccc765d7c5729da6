// The gateway without a socket, over the registry's real handlers and embedded store: routing
// (404, 405), the access check before anything else, and a registry without an MQTT edge in its
// process (the `registry` role without the cluster's Redis and MongoDB) answering publishes 503 as its gRPC API answers UNAVAILABLE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { register } from 'prom-client';
import { openStore } from '../../../services/registry/store/open.js';
import { registryServices } from '../../../services/registry/server.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';
import type { RegistryStore } from '../../../services/registry/store/contract.js';
import { restGateway, type Gateway, type GatewayRequest } from '../../../services/registry/rest/gateway.js';
import { deriveRoutes } from '../../../services/registry/rest/routes.js';
import type { AuditEvent } from '../../../services/registry/api/audit.js';

let dataDir: string;
let store: RegistryStore;
let close: () => Promise<void>;
let gateway: Gateway;
const audit: AuditEvent[] = [];

const request = (method: string, url: string, fields: Partial<GatewayRequest> = {}) => {
  const parsed = new URL(url, 'http://gateway');
  return gateway({
    method,
    path: parsed.pathname,
    query: parsed.searchParams,
    authorization: 'Bearer unit-token',
    body: '',
    peer: '127.0.0.1:1',
    ...fields,
  });
};

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-gateway-'));
  store = await openStore({ dataDir, mongoDb: 'unused' });
  const logger = pino({ level: 'silent' });
  const logStore = await openEmbeddedLogStore(path.join(dataDir, 'logs'));
  const registry = registryServices({
    store,
    logStore,
    adminTokens: ['unit-token'],
    idPrefix: 'are',
    quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
    logger,
    audit: (event) => audit.push(event),
  });
  close = async () => {
    registry.close();
    await logStore.close();
  };
  gateway = restGateway(deriveRoutes(), registry.services, logger);
});
after(async () => {
  await close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('an unknown path is 404, a known path with another verb 405 with Allow', async () => {
  assert.deepEqual(await request('GET', '/iot-devices/v1/nothing'), {
    status: 404,
    body: { code: 5, message: 'no such path: /iot-devices/v1/nothing', details: [] },
  });
  const wrongVerb = await request('DELETE', '/iot-devices/v1/registries');
  assert.equal(wrongVerb.status, 405);
  assert.deepEqual(wrongVerb.headers, { allow: 'GET, POST' });
});

test('the token is checked before the request is read: no token and bad JSON is 401, not 400', async () => {
  const response = await request('POST', '/iot-devices/v1/registries', { authorization: undefined, body: '{oops' });
  assert.equal(response.status, 401);
  assert.equal((await request('POST', '/iot-devices/v1/registries', { body: '{oops' })).status, 400);
});

test('a created registry reads back through the gateway', async () => {
  const created = await request('POST', '/iot-devices/v1/registries', { body: JSON.stringify({ folderId: 'unit', name: 'r' }) });
  assert.equal(created.status, 200);
  const id = (created.body as { response: { id: string } }).response.id;
  const got = await request('GET', `/iot-devices/v1/registries/${id}`);
  assert.deepEqual({ status: got.status, name: (got.body as { name: string }).name }, { status: 200, name: 'r' });
});

test("a change over REST is audited with the HTTP client's address and user agent", async () => {
  audit.length = 0;
  const created = await request('POST', '/iot-devices/v1/registries', {
    body: JSON.stringify({ folderId: 'unit', name: 'audited-over-rest' }),
    peer: '198.51.100.4:41000',
    userAgent: 'curl/8.14.1',
    requestId: 'b2a1e4c0-request',
  });
  assert.equal(created.status, 200);
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.event_type, 'yandex.cloud.audit.iot.devices.CreateRegistry');
  assert.deepEqual(audit[0]!.request_metadata, {
    remote_address: '198.51.100.4:41000',
    user_agent: 'curl/8.14.1',
    request_id: 'b2a1e4c0-request',
  });
  assert.equal(audit[0]!.details.registry_id, (created.body as { metadata: { registryId: string } }).metadata.registryId);
});

test('without an MQTT edge in the process, publish is 503 UNAVAILABLE (a registry role without Redis and MongoDB, as over gRPC)', async () => {
  const response = await request('POST', '/iot-devices/v1/registries/are1/publish', {
    body: JSON.stringify({ topic: '$registries/are1/commands', data: '' }),
  });
  assert.deepEqual(response, {
    status: 503,
    body: {
      code: 14,
      message:
        'no way to the MQTT edges from this process: a registry replica publishes through the cluster when given its --redis-url and --mongo-url',
      details: [],
    },
  });
});

test('REST calls are counted by RPC and HTTP status, apart from the gRPC metrics', async () => {
  await request('GET', '/iot-devices/v1/registries?folderId=unit');
  await request('GET', '/iot-devices/v1/nothing');
  const counted = (await register.getSingleMetric('iotcore_rest_requests_total')!.get()).values;
  const count = (rpc: string, code: string) => counted.find((value) => value.labels.rpc === rpc && value.labels.code === code)?.value ?? 0;
  assert.ok(count('RegistryService.List', '200') >= 1);
  assert.ok(count('RegistryService.Create', '400') >= 1, 'the bad JSON above');
  assert.ok(count('unmatched', '404') >= 2);
  assert.ok(count('unmatched', '405') >= 1);
  const grpc = (await register.getSingleMetric('grpc_server_handled_total')?.get())?.values ?? [];
  assert.equal(grpc.length, 0, 'no gRPC call was made');
});
