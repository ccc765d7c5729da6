// The REST gateway as a backend, a function or a shell script calls it: `iotcore serve` (the
// all-in-one process, HTTPS by default from its local CA) with --rest-listen, driven with Node's
// HTTPS client and `curl` only (never our generated
// clients). Every route is called at least once (checked at the end against the route table);
// JSON field names are compared with Yandex's REST reference; publishes reach MQTT subscribers;
// bad input gets the right HTTP status and a `{code, message, details}` body.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { freePort } from '../../support/ports.js';
import { startServer, stopServer } from '../../support/serve-process.js';
import { makeCertificate } from '../../support/certificates.js';
import { REPO_ROOT } from '../../support/tools.js';
import { deriveRoutes } from '../../../services/registry/rest/routes.js';
import { MAX_BODY_BYTES } from '../../../services/registry/rest/server.js';
import { matchTemplate, splitRequestPath } from '../../../services/registry/rest/path-template.js';
import { openStore } from '../../../services/registry/store/open.js';
import { startRegistryApi } from '../../../services/registry/server.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';

const run = promisify(execFile);

// Field names as Yandex's REST reference shows them (yandex-cloud/docs, en/iot-core/api-ref/Registry/get.md,
// Registry/create.md, Device/get.md, broker/api-ref/Broker/get.md), plus the fields added since those
// pages were written, per the spec (§1.4: Device.labels and lastDisconnectTime 2025-03; §1.5:
// Broker.logOptions 2024-01). The spec's §6.1 quotes `registryId`, `topicAliases`, `monitoringData.lastAuthIp`.
const YANDEX_JSON = {
  Registry: ['id', 'folderId', 'createdAt', 'name', 'description', 'labels', 'status', 'logGroupId', 'logOptions'],
  LogOptions: ['disabled', 'logGroupId', 'folderId', 'minLevel'],
  Device: ['id', 'registryId', 'createdAt', 'name', 'description', 'topicAliases', 'status', 'monitoringData', 'labels'],
  DeviceMonitoringData: [
    'lastAuthIp',
    'lastAuthTime',
    'lastPubActivityTime',
    'lastSubActivityTime',
    'lastOnlineTime',
    'lastDisconnectTime',
  ],
  Broker: ['id', 'folderId', 'createdAt', 'name', 'description', 'labels', 'status', 'logOptions'],
  Operation: ['id', 'description', 'createdAt', 'createdBy', 'modifiedAt', 'done', 'metadata', 'error', 'response'],
  Status: ['code', 'message', 'details'],
  // spec §1.6, camelCase as §6.1 says REST JSON is
  RegistryCertificate: ['registryId', 'fingerprint', 'certificateData', 'createdAt'],
  RegistryPassword: ['registryId', 'id', 'createdAt'],
  DeviceAlias: ['deviceId', 'topicPrefix', 'alias'],
};

/** Asserts `object` uses only Yandex's names for `type`, and has at least `present`. */
function hasYandexFields(object: Record<string, unknown>, type: keyof typeof YANDEX_JSON, present: string[]): void {
  const names = Object.keys(object).filter((key) => key !== '@type');
  for (const name of names) assert.ok(YANDEX_JSON[type].includes(name), `${type}.${name} is not a field of Yandex's ${type}`);
  for (const name of present) assert.ok(names.includes(name), `${type}.${name} is missing: ${JSON.stringify(object)}`);
}

const REGISTRY_PASSWORD = 'Str0ng-Passw0rd!';
const DEVICE_PASSWORD = 'An0ther-Passw0rd!';
const BROKER_PASSWORD = 'Br0ker-Passw0rd!!';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

describe('REST gateway, driven with node:https and curl', () => {
  let work: string;
  let server: ChildProcess;
  let api: string;
  let mqttPort: number;
  let token: string;
  let ca: Buffer;
  let apiPort: number;
  let restPort: number;
  const calls: Array<{ method: string; path: string }> = [];
  const clients: MqttClient[] = [];

  /** One HTTP call; the bearer token unless `auth` says otherwise (null: no header). */
  const rest = async (method: string, url: string, body?: unknown, auth: string | null = token) => {
    calls.push({ method, path: url.split('?')[0]! });
    // node:https rather than fetch, which cannot be given a CA to trust.
    const response = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const request = httpsRequest(
        `${api}${url}`,
        { method, ca, headers: auth === null ? {} : { authorization: `Bearer ${auth}` } },
        (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
          answer.on('end', () => resolve({ status: answer.statusCode!, headers: answer.headers, text }));
        },
      );
      request.on('error', reject);
      request.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
    const header = (name: string) => [response.headers[name.toLowerCase()] ?? null].flat()[0] ?? null;
    return { status: response.status, headers: { get: header }, body: JSON.parse(response.text) as Json };
  };
  const ok = async (method: string, url: string, body?: unknown): Promise<Json> => {
    const response = await rest(method, url, body);
    assert.equal(response.status, 200, `${method} ${url}: ${JSON.stringify(response.body)}`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    return response.body;
  };
  /** Asserts the HTTP status and a google.rpc.Status body with `code` and a message matching `message`. */
  const fails = async (
    expected: { http: number; code: number; message: RegExp },
    method: string,
    url: string,
    body?: unknown,
    auth?: string | null,
  ) => {
    const response = await rest(method, url, body, auth === undefined ? token : auth);
    assert.equal(response.status, expected.http, `${method} ${url}: ${JSON.stringify(response.body)}`);
    assert.deepEqual(Object.keys(response.body).sort(), [...YANDEX_JSON.Status].sort());
    assert.equal(response.body.code, expected.code, response.body.message);
    assert.match(response.body.message, expected.message);
    assert.deepEqual(response.body.details, []);
    return response;
  };
  /** The resource a done Operation returned, checked against Yandex's Operation fields. */
  const done = (operation: Json, metadata: Record<string, string>): Json => {
    hasYandexFields(operation, 'Operation', ['id', 'description', 'createdAt', 'createdBy', 'modifiedAt', 'done', 'metadata']);
    assert.equal(operation.done, true);
    assert.equal(operation.createdBy, 'bootstrap-admin', "the caller, here the data dir's admin token");
    assert.match(operation.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'RFC 3339');
    const { '@type': type, ...fields } = operation.metadata;
    assert.match(type, /^type\.googleapis\.com\/yandex\.cloud\.iot\./);
    assert.deepEqual(fields, metadata);
    return operation.response;
  };
  /** A POST whose body is larger than the gateway reads: the status and error code it answers, without finishing the body. */
  const oversized = (headers: Record<string, string>, chunk: Buffer) =>
    new Promise<{ status: number; code: number }>((resolve, reject) => {
      const request = httpsRequest(
        `${api}/iot-devices/v1/registries`,
        { method: 'POST', ca, headers: { ...headers, authorization: `Bearer ${token}` } },
        (response) => {
          let body = '';
          response.on('data', (data: Buffer) => (body += data.toString()));
          response.on('end', () => {
            request.destroy();
            resolve({ status: response.statusCode!, code: (JSON.parse(body) as Json).code });
          });
        },
      );
      request.on('error', reject);
      request.flushHeaders();
      request.write(chunk);
    });
  const subscribe = async (username: string, password: string, topic: string) => {
    const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
      username,
      password,
      ca,
      clientId: `rest-${clients.length}`,
      reconnectPeriod: 0,
    });
    clients.push(client);
    await client.subscribeAsync(topic, { qos: 1 });
    const received: Buffer[] = [];
    client.on('message', (_topic, payload) => received.push(payload));
    return {
      next: async () => {
        for (let waited = 0; waited < 5000 && received.length === 0; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        const message = received.shift();
        assert.ok(message, `a message on ${topic}`);
        return message;
      },
    };
  };

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-rest-'));
    [apiPort, restPort] = [await freePort(), await freePort()];
    mqttPort = await freePort();
    // ./data as in the README, so its curl examples read data/admin-token as written.
    server = await startServer(path.join(work, 'data'), apiPort, mqttPort, ['--rest-listen', `127.0.0.1:${restPort}`]);
    api = `https://127.0.0.1:${restPort}`;
    token = (await readFile(path.join(work, 'data/admin-token'), 'utf8')).trim();
    ca = await readFile(path.join(work, 'data/tls/ca.pem'));
    await assert.rejects(fetch(`http://127.0.0.1:${restPort}/endpoints`), 'no plain HTTP on the default REST port');
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync()));
    await stopServer(server);
    await rm(work, { recursive: true, force: true });
  });

  const state: Json = {};

  test('registries: create, get, getByName, list with paging, update with updateMask, disable/enable', async () => {
    const certificate = makeCertificate('rest-registry');
    const operation = await ok('POST', '/iot-devices/v1/registries', {
      folderId: 'rest',
      name: 'r1',
      description: 'first',
      labels: { env: 'test' },
      certificates: [{ certificateData: certificate.certPem }],
      password: REGISTRY_PASSWORD,
      logOptions: { disabled: true, logGroupId: 'group-1', minLevel: 'WARN' },
    });
    const created = done(operation, { registryId: operation.response.id });
    hasYandexFields(created, 'Registry', ['id', 'folderId', 'createdAt', 'name', 'description', 'labels', 'status', 'logOptions']);
    hasYandexFields(created.logOptions, 'LogOptions', ['disabled', 'logGroupId', 'minLevel']);
    assert.deepEqual(
      { folderId: created.folderId, name: created.name, status: created.status, labels: created.labels, logOptions: created.logOptions },
      {
        folderId: 'rest',
        name: 'r1',
        status: 'ACTIVE',
        labels: { env: 'test' },
        logOptions: { disabled: true, logGroupId: 'group-1', minLevel: 'WARN' },
      },
    );
    state.registry = created.id;
    state.registryCertificate = certificate;
    const second = (await ok('POST', '/iot-devices/v1/registries', { folder_id: 'rest', name: 'r2' })).response;
    const third = await ok('POST', '/iot-devices/v1/registries', { folderId: 'rest', name: 'r3' });

    const got = await ok('GET', `/iot-devices/v1/registries/${created.id}`);
    const { '@type': _, ...createdFields } = created;
    assert.deepEqual(got, createdFields);
    assert.deepEqual(await ok('GET', '/iot-devices/v1/registries:getByName?folderId=rest&registryName=r1'), createdFields);

    const page1 = await ok('GET', '/iot-devices/v1/registries?folderId=rest&pageSize=2');
    assert.equal(page1.registries.length, 2);
    assert.equal(typeof page1.nextPageToken, 'string');
    const page2 = await ok(
      'GET',
      `/iot-devices/v1/registries?folder_id=rest&page_size=2&page_token=${encodeURIComponent(page1.nextPageToken)}`,
    );
    assert.deepEqual([...page1.registries, ...page2.registries].map((registry: Json) => registry.name).sort(), ['r1', 'r2', 'r3']);
    assert.equal(page2.nextPageToken, undefined);

    // updateMask: only the listed fields change (name is in the body but not in the mask)
    const updated = done(
      await ok('PATCH', `/iot-devices/v1/registries/${created.id}`, {
        updateMask: 'description,labels',
        name: 'ignored',
        description: 'second',
        labels: { env: 'prod' },
      }),
      { registryId: created.id },
    );
    assert.deepEqual(
      { name: updated.name, description: updated.description, labels: updated.labels },
      { name: 'r1', description: 'second', labels: { env: 'prod' } },
    );
    const disabled = done(await ok('POST', `/iot-devices/v1/registries/${second.id}:disable`), { registryId: second.id });
    assert.equal(disabled.status, 'DISABLED');
    assert.equal(done(await ok('POST', `/iot-devices/v1/registries/${second.id}:enable`, {}), { registryId: second.id }).status, 'ACTIVE');
    done(await ok('DELETE', `/iot-devices/v1/registries/${third.response.id}`), { registryId: third.response.id });
    await fails({ http: 404, code: 5, message: /not found/ }, 'GET', `/iot-devices/v1/registries/${third.response.id}`);
  });

  test('registry certificates and passwords: list, add, delete', async () => {
    const id = state.registry;
    const listed = await ok('GET', `/iot-devices/v1/registries/${id}/certificates`);
    assert.equal(listed.certificates.length, 1);
    hasYandexFields(listed.certificates[0], 'RegistryCertificate', ['registryId', 'fingerprint', 'certificateData', 'createdAt']);
    assert.equal(listed.certificates[0].fingerprint, state.registryCertificate.opensslFingerprint);

    const extra = makeCertificate('rest-registry-2');
    const added = done(await ok('POST', `/iot-devices/v1/registries/${id}/certificates`, { certificateData: extra.certPem }), {
      registryId: id,
      fingerprint: extra.opensslFingerprint,
    });
    assert.equal(added.certificateData, extra.certPem);
    done(await ok('DELETE', `/iot-devices/v1/registries/${id}/certificates/${extra.opensslFingerprint}`), {
      registryId: id,
      fingerprint: extra.opensslFingerprint,
    });
    assert.equal((await ok('GET', `/iot-devices/v1/registries/${id}/certificates`)).certificates.length, 1);

    const passwords = await ok('GET', `/iot-devices/v1/registries/${id}/passwords`);
    assert.equal(passwords.passwords.length, 1);
    hasYandexFields(passwords.passwords[0], 'RegistryPassword', ['registryId', 'id', 'createdAt']);
    const addedPassword = await ok('POST', `/iot-devices/v1/registries/${id}/passwords`, { password: 'Yet-An0ther-Passw0rd' });
    const passwordId = addedPassword.metadata.passwordId;
    done(addedPassword, { registryId: id, passwordId });
    assert.equal(JSON.stringify(addedPassword).includes('Yet-An0ther'), false, 'a password is never returned');
    done(await ok('DELETE', `/iot-devices/v1/registries/${id}/passwords/${passwordId}`), { registryId: id, passwordId });
    assert.equal((await ok('GET', `/iot-devices/v1/registries/${id}/passwords`)).passwords.length, 1);
  });

  test('devices: create with aliases, get (FULL view), getByName, list, update with updateMask, aliases of the registry', async () => {
    const registry = state.registry;
    const created = await ok('POST', '/iot-devices/v1/devices', {
      registryId: registry,
      name: 'd1',
      description: 'sensor',
      password: DEVICE_PASSWORD,
      labels: { floor: '2' },
    });
    const device = done(created, { deviceId: created.response.id });
    hasYandexFields(device, 'Device', ['id', 'registryId', 'createdAt', 'name', 'description', 'status', 'labels']);
    state.device = device.id;
    const alias = { 'sensors/d1': `$devices/${device.id}/events` };
    const updated = done(
      await ok('PATCH', `/iot-devices/v1/devices/${device.id}`, {
        updateMask: 'topicAliases',
        topicAliases: alias,
        description: 'not in the mask',
      }),
      {
        deviceId: device.id,
      },
    );
    assert.deepEqual(
      { topicAliases: updated.topicAliases, description: updated.description },
      { topicAliases: alias, description: 'sensor' },
    );

    const full = await ok('GET', `/iot-devices/v1/devices/${device.id}?deviceView=FULL`);
    hasYandexFields(full, 'Device', ['id', 'registryId', 'topicAliases', 'monitoringData']);
    hasYandexFields(full.monitoringData, 'DeviceMonitoringData', []);
    assert.equal((await ok('GET', `/iot-devices/v1/devices/${device.id}`)).monitoringData, undefined, 'BASIC view: no monitoring data');
    assert.equal((await ok('GET', `/iot-devices/v1/devices:getByName?registryId=${registry}&deviceName=d1`)).id, device.id);
    const listed = await ok('GET', `/iot-devices/v1/devices?registryId=${registry}&deviceView=BASIC`);
    assert.deepEqual(
      listed.devices.map((entry: Json) => entry.id),
      [device.id],
    );
    assert.equal((await ok('GET', '/iot-devices/v1/devices?folderId=rest')).devices.length, 1);

    const aliases = await ok('GET', `/iot-devices/v1/registries/${registry}:listDeviceTopicAliases`);
    assert.deepEqual(aliases.aliases, [{ deviceId: device.id, topicPrefix: `$devices/${device.id}/events`, alias: 'sensors/d1' }]);
    hasYandexFields(aliases.aliases[0], 'DeviceAlias', ['deviceId', 'topicPrefix', 'alias']);

    const doomed = await ok('POST', '/iot-devices/v1/devices', { registryId: registry, name: 'd2' });
    done(await ok('DELETE', `/iot-devices/v1/devices/${doomed.response.id}`), { deviceId: doomed.response.id });
    await fails({ http: 404, code: 5, message: /not found/ }, 'GET', `/iot-devices/v1/devices/${doomed.response.id}`);
  });

  test('device certificates and passwords: list, add, delete', async () => {
    const id = state.device;
    const certificate = makeCertificate('rest-device');
    done(await ok('POST', `/iot-devices/v1/devices/${id}/certificates`, { certificateData: certificate.certPem }), {
      deviceId: id,
      fingerprint: certificate.opensslFingerprint,
    });
    const certificates = await ok('GET', `/iot-devices/v1/devices/${id}/certificates`);
    assert.deepEqual(
      certificates.certificates.map((entry: Json) => [entry.deviceId, entry.fingerprint]),
      [[id, certificate.opensslFingerprint]],
    );
    done(await ok('DELETE', `/iot-devices/v1/devices/${id}/certificates/${certificate.opensslFingerprint}`), {
      deviceId: id,
      fingerprint: certificate.opensslFingerprint,
    });
    assert.equal(
      (await ok('GET', `/iot-devices/v1/devices/${id}/certificates`)).certificates,
      undefined,
      'an empty list is omitted, as proto3 JSON does',
    );

    const added = await ok('POST', `/iot-devices/v1/devices/${id}/passwords`, { password: 'Sec0nd-Device-Passw0rd' });
    done(added, { deviceId: id, passwordId: added.metadata.passwordId });
    assert.equal((await ok('GET', `/iot-devices/v1/devices/${id}/passwords`)).passwords.length, 2);
    done(await ok('DELETE', `/iot-devices/v1/devices/${id}/passwords/${added.metadata.passwordId}`), {
      deviceId: id,
      passwordId: added.metadata.passwordId,
    });
    assert.equal((await ok('GET', `/iot-devices/v1/devices/${id}/passwords`)).passwords.length, 1);
  });

  test('brokers: create, get, list, update with updateMask, certificates, passwords, delete', async () => {
    const certificate = makeCertificate('rest-broker');
    const created = await ok('POST', '/iot-broker/v1/brokers', {
      folderId: 'rest',
      name: 'b1',
      labels: { team: 'a' },
      certificates: [{ certificateData: certificate.certPem }],
      password: BROKER_PASSWORD,
    });
    const broker = done(created, { brokerId: created.response.id });
    hasYandexFields(broker, 'Broker', ['id', 'folderId', 'createdAt', 'name', 'labels', 'status']);
    state.broker = broker.id;
    const { '@type': _, ...fields } = broker;
    assert.deepEqual(await ok('GET', `/iot-broker/v1/brokers/${broker.id}`), fields);
    assert.deepEqual(
      (await ok('GET', '/iot-broker/v1/brokers?folderId=rest')).brokers.map((entry: Json) => entry.id),
      [broker.id],
    );
    const updated = done(
      await ok('PATCH', `/iot-broker/v1/brokers/${broker.id}`, { updateMask: 'description', description: 'broker', labels: {} }),
      { brokerId: broker.id },
    );
    assert.deepEqual({ description: updated.description, labels: updated.labels }, { description: 'broker', labels: { team: 'a' } });

    assert.equal(
      (await ok('GET', `/iot-broker/v1/brokers/${broker.id}/certificates`)).certificates[0].fingerprint,
      certificate.opensslFingerprint,
    );
    const extra = makeCertificate('rest-broker-2');
    done(await ok('POST', `/iot-broker/v1/brokers/${broker.id}/certificates`, { certificateData: extra.certPem }), {
      brokerId: broker.id,
      fingerprint: extra.opensslFingerprint,
    });
    done(await ok('DELETE', `/iot-broker/v1/brokers/${broker.id}/certificates/${extra.opensslFingerprint}`), {
      brokerId: broker.id,
      fingerprint: extra.opensslFingerprint,
    });
    const added = await ok('POST', `/iot-broker/v1/brokers/${broker.id}/passwords`, { password: 'Sec0nd-Broker-Passw0rd' });
    done(added, { brokerId: broker.id, passwordId: added.metadata.passwordId });
    assert.equal((await ok('GET', `/iot-broker/v1/brokers/${broker.id}/passwords`)).passwords.length, 2);
    done(await ok('DELETE', `/iot-broker/v1/brokers/${broker.id}/passwords/${added.metadata.passwordId}`), {
      brokerId: broker.id,
      passwordId: added.metadata.passwordId,
    });

    const doomed = await ok('POST', '/iot-broker/v1/brokers', { folderId: 'rest', name: 'b2' });
    done(await ok('DELETE', `/iot-broker/v1/brokers/${doomed.response.id}`), { brokerId: doomed.response.id });
  });

  test('operations: listed per resource, fetched and "cancelled" (already done) by ID', async () => {
    const registryOperations = await ok('GET', `/iot-devices/v1/registries/${state.registry}/operations?pageSize=100`);
    const create = registryOperations.operations.find((operation: Json) => operation.description === 'Create device registry');
    assert.ok(create, JSON.stringify(registryOperations));
    const { '@type': _, ...fields } = create;
    assert.deepEqual(await ok('GET', `/operations/${create.id}`), fields);
    assert.deepEqual(await ok('GET', `/operations/${create.id}:cancel`), fields);
    assert.ok((await ok('GET', `/iot-devices/v1/devices/${state.device}/operations`)).operations.length >= 2);
    assert.ok((await ok('GET', `/iot-broker/v1/brokers/${state.broker}/operations`)).operations.length >= 2);
    // Yandex's only filter is on the resource's name.
    const byName = (filter: string) => `/iot-devices/v1/registries/${state.registry}/operations?filter=${encodeURIComponent(filter)}`;
    assert.deepEqual((await ok('GET', byName('name = "r1"'))).operations, registryOperations.operations);
    assert.deepEqual(await ok('GET', byName('name="r2"')), {});
    await fails({ http: 400, code: 3, message: /^filter: only name="<name>" is supported/ }, 'GET', byName('description="x"'));
  });

  test('publish: a text command and a binary event reach MQTT subscribers; a broker publishes to its clients', async () => {
    const { registry, device, broker } = state;
    const commands = await subscribe(device, DEVICE_PASSWORD, `$devices/${device}/commands`);
    assert.deepEqual(
      await ok('POST', `/iot-devices/v1/registries/${registry}/publish`, {
        topic: `$devices/${device}/commands`,
        data: Buffer.from('open the valve').toString('base64'),
      }),
      {},
    );
    assert.equal((await commands.next()).toString(), 'open the valve');

    const events = await subscribe(registry, REGISTRY_PASSWORD, `$devices/${device}/events/#`);
    const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x00, 0xc3, 0x28]);
    assert.deepEqual(
      await ok('POST', `/iot-devices/v1/devices/${device}/publish`, {
        topic: `$devices/${device}/events/raw`,
        data: binary.toString('base64'),
      }),
      {},
    );
    assert.deepEqual(await events.next(), binary);

    const brokerTopic = await subscribe(broker, BROKER_PASSWORD, 'plant/+/temperature');
    assert.deepEqual(
      await ok('POST', `/iot-broker/v1/brokers/${broker}/publish`, {
        topic: 'plant/a/temperature',
        data: Buffer.from('21.5').toString('base64'),
      }),
      {},
    );
    assert.equal((await brokerTopic.next()).toString(), '21.5');
  });

  test('errors: 400, 401, 403, 404, 405, 409 and 413 with a {code, message, details} body', async () => {
    const { registry, device } = state;
    // 401: no token, a wrong token (checked before the body is looked at)
    await fails({ http: 401, code: 16, message: /authorization/ }, 'GET', `/iot-devices/v1/registries/${registry}`, undefined, null);
    await fails({ http: 401, code: 16, message: /invalid token/ }, 'POST', '/iot-devices/v1/registries', '{not json', 'wrong-token');
    // 400: malformed JSON, a body that is not an object, an unknown field, a wrong type, validation, FAILED_PRECONDITION
    await fails({ http: 400, code: 3, message: /not valid JSON/ }, 'POST', '/iot-devices/v1/registries', '{"folderId": ');
    await fails({ http: 400, code: 3, message: /JSON object/ }, 'POST', '/iot-devices/v1/registries', '[1, 2]');
    await fails({ http: 400, code: 3, message: /colour/ }, 'POST', '/iot-devices/v1/registries', {
      folderId: 'rest',
      name: 'x',
      colour: 'red',
    });
    await fails({ http: 400, code: 3, message: /page_size/ }, 'GET', '/iot-devices/v1/registries?folderId=rest&pageSize=many');
    await fails({ http: 400, code: 3, message: /name/ }, 'POST', '/iot-devices/v1/registries', {
      folderId: 'rest',
      name: 'no spaces allowed',
    });
    await fails({ http: 400, code: 3, message: /update_mask/ }, 'PATCH', `/iot-devices/v1/registries/${registry}`, {
      updateMask: 'folderId',
    });
    await fails({ http: 400, code: 3, message: /data/ }, 'POST', `/iot-devices/v1/devices/${device}/publish`, {
      topic: `$devices/${device}/events`,
      data: '***',
    });
    await fails({ http: 400, code: 9, message: /device/ }, 'DELETE', `/iot-devices/v1/registries/${registry}`);
    // 403: the MQTT ACL of the principal published as (a device may not publish its registry's commands)
    await fails({ http: 403, code: 7, message: /./ }, 'POST', `/iot-devices/v1/devices/${device}/publish`, {
      topic: `$registries/${registry}/commands`,
      data: '',
    });
    // 404: unknown resource, unknown path
    await fails({ http: 404, code: 5, message: /not found/ }, 'GET', '/iot-devices/v1/devices/are00000000000000000');
    await fails({ http: 404, code: 5, message: /no such path/ }, 'GET', '/iot-devices/v2/registries');
    // 405: a known path with another verb
    const wrongVerb = await fails({ http: 405, code: 12, message: /not allowed/ }, 'PUT', `/iot-devices/v1/registries/${registry}`, {});
    assert.equal(wrongVerb.headers.get('allow'), 'GET, PATCH, DELETE');
    // 409: a name already taken in the folder
    await fails({ http: 409, code: 6, message: /r1/ }, 'POST', '/iot-devices/v1/registries', { folderId: 'rest', name: 'r1' });
    // 413: a body past the bound: announced (refused before it is read) or streamed (refused once it passes)
    assert.deepEqual(await oversized({ 'content-length': String(MAX_BODY_BYTES + 1) }, Buffer.alloc(0)), { status: 413, code: 8 });
    assert.deepEqual(await oversized({ 'transfer-encoding': 'chunked' }, Buffer.alloc(MAX_BODY_BYTES + 1, 'x')), { status: 413, code: 8 });
    // and the gateway still answers
    assert.equal((await ok('GET', `/iot-devices/v1/registries/${registry}`)).id, registry);
  });

  test('access tokens: create (secret once), list, a viewer refused with 403 naming the role, revoke', async () => {
    const created = await ok('POST', '/iotcore-access/v1/tokens', {
      description: 'dashboard',
      grants: [{ folderId: 'rest', role: 'iot.viewer' }],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.deepEqual(Object.keys(created).sort(), ['accessToken', 'secret']);
    assert.match(created.secret, /^iotc_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.accessToken.grants, [{ folderId: 'rest', role: 'iot.viewer' }]);
    assert.equal(created.accessToken.createdBy, 'bootstrap-admin');
    const viewer = created.secret as string;

    const listed = await ok('GET', '/iotcore-access/v1/tokens?folderId=rest');
    assert.deepEqual(
      listed.accessTokens.map((listedToken: Json) => listedToken.id),
      [created.accessToken.id],
    );
    assert.ok(!JSON.stringify(listed).includes(viewer), 'List never shows a secret');

    assert.equal((await rest('GET', '/iot-devices/v1/registries?folderId=rest', undefined, viewer)).status, 200);
    await fails(
      { http: 403, code: 7, message: /^permission denied: role iot\.editor on folder rest required$/ },
      'POST',
      '/iot-devices/v1/registries',
      { folderId: 'rest', name: 'by-viewer' },
      viewer,
    );
    await fails(
      { http: 403, code: 7, message: /role admin on folder rest/ },
      'GET',
      '/iotcore-access/v1/tokens?folderId=rest',
      undefined,
      viewer,
    );

    assert.deepEqual(await ok('DELETE', `/iotcore-access/v1/tokens/${created.accessToken.id}`), {});
    const refusedAt = Date.now() + 5000;
    while ((await rest('GET', '/iot-devices/v1/registries?folderId=rest', undefined, viewer)).status !== 401) {
      assert.ok(Date.now() < refusedAt, 'a revoked token is refused within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('triggers: create (signing secret once), get, list, delete; a bad URL scheme is a 400', async () => {
    const registry = (await ok('POST', '/iot-devices/v1/registries', { folderId: 'rest-triggers', name: 'rt' })).response.id;
    const created = await ok('POST', '/iotcore-triggers/v1/triggers', {
      name: 'to-backend',
      iotMessage: { registryId: registry, mqttTopic: '$devices/+/events' },
      batchSettings: { size: '10', cutoff: '5s' },
      httpEndpoint: { url: 'https://backend.example/iot' },
    });
    assert.match(created.signingSecret, /^iots_[A-Za-z0-9_-]{43}$/);
    const id = created.trigger.id as string;
    assert.deepEqual(created.trigger.batchSettings, { size: '10', cutoff: '5s' });
    const fetched = await ok('GET', `/iotcore-triggers/v1/triggers/${id}`);
    assert.equal(fetched.iotMessage.registryId, registry);
    assert.ok(!JSON.stringify(fetched).includes('iots_'), 'Get never shows the secret');
    assert.deepEqual(
      (await ok('GET', '/iotcore-triggers/v1/triggers?folderId=rest-triggers')).triggers.map((trigger: Json) => trigger.id),
      [id],
    );
    await fails({ http: 400, code: 3, message: /^http_endpoint\.url: must be http/ }, 'POST', '/iotcore-triggers/v1/triggers', {
      iotMessage: { registryId: registry },
      httpEndpoint: { url: 'file:///etc/passwd' },
    });
    assert.deepEqual(await ok('DELETE', `/iotcore-triggers/v1/triggers/${id}`), {});
    await fails({ http: 404, code: 5, message: /not found/ }, 'GET', `/iotcore-triggers/v1/triggers/${id}`);
  });

  test("endpoint discovery and the IAM token exchange answer without a bearer token, as Yandex's", async () => {
    const endpoints = await rest('GET', '/endpoints', undefined, null);
    assert.equal(endpoints.status, 200);
    assert.ok(
      endpoints.body.endpoints.some((endpoint: Json) => endpoint.id === 'iot-devices' && endpoint.address === `127.0.0.1:${apiPort}`),
    );
    const iam = (await rest('GET', '/endpoints/iam', undefined, null)).body;
    assert.deepEqual(iam, { id: 'iam', address: `127.0.0.1:${apiPort}` });

    const exchanged = await rest('POST', '/iam/v1/tokens', { yandexPassportOauthToken: token }, null);
    assert.equal(exchanged.status, 200);
    assert.match(exchanged.body.iamToken, /^t1\./);
    assert.ok(Date.parse(exchanged.body.expiresAt) > Date.now() + 11 * 3_600_000, '12 hours by default');
    assert.equal((await rest('GET', '/iot-devices/v1/registries?folderId=rest', undefined, exchanged.body.iamToken)).status, 200);
    await fails({ http: 401, code: 16, message: /invalid token/ }, 'POST', '/iam/v1/tokens', { yandexPassportOauthToken: 'nope' }, null);
  });

  test("the README's curl examples work as written", async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### REST API'), readme.indexOf('\n## ', readme.indexOf('### REST API')));
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
    assert.equal(blocks.length, 2, 'two curl blocks: create and list, then publish a command');
    const setup = blocks[0]!.replace('API=https://localhost:8443', `API=${api}`);
    assert.notEqual(setup, blocks[0], 'the example names the default address');
    const first = await run('bash', ['-euo', 'pipefail', '-c', `${setup}\necho "ids $R $D"`], { cwd: work });
    const [, registry, device] = /ids (\S+) (\S+)\s*$/.exec(first.stdout)!;
    // curl prints each answer without a newline: the device list, then the updated device's Operation
    assert.match(first.stdout, /^\{"devices":\[\{"id":"[a-z0-9]{20}","registryId":"[a-z0-9]{20}".*"name":"rest-d1"/);
    assert.equal((await ok('GET', `/iot-devices/v1/devices/${device}`)).description, 'boiler room');

    const commands = await subscribe(device!, 'An0ther-Passw0rd!', `$devices/${device}/commands`);
    const env = { ...process.env, API: api, AUTH: `Authorization: Bearer ${token}`, R: registry, D: device };
    await run('bash', ['-euo', 'pipefail', '-c', blocks[1]!], { cwd: work, env });
    assert.equal((await commands.next()).toString(), 'reboot');
  });

  test("iotcore's own routes: connection logs, the data-stream exports, the web console's WhoAmI, live credential and cluster", async () => {
    const registry = (await ok('POST', '/iot-devices/v1/registries', { folderId: 'rest', name: 'rest-console' })).response.id as string;
    const exports = `/iotcore-devices/v1/registries/${registry}/dataStreamExports`;
    assert.deepEqual(await ok('GET', exports), {});
    const added = await ok('POST', exports, { name: 'e1', database: 'db', stream: 'telemetry', mqttTopicFilter: '$devices/+/events/#' });
    const exportId = added.response.id as string;
    assert.equal((await ok('GET', exports)).dataStreamExports[0].stream, 'telemetry');
    await ok('DELETE', `${exports}/${exportId}`);
    assert.deepEqual(await ok('GET', exports), {});

    const logs = await ok('POST', '/iotcore-logs/v1/read', { registryId: registry, since: new Date(Date.now() - 60_000).toISOString() });
    assert.deepEqual(logs, {}, 'no connection yet: no entries');
    await fails({ http: 400, code: 3, message: /source/ }, 'POST', '/iotcore-logs/v1/read', {});

    const whoami = await ok('GET', '/iotcore-console/v1/whoami');
    assert.equal(whoami.name, 'bootstrap-admin');
    assert.equal(whoami.bootstrapAdmin, true);
    assert.ok(whoami.folderIds.includes('default'));
    const live = await ok('POST', `/iotcore-console/v1/registries/${registry}:issueLiveCredential`, { minutes: 2 });
    assert.equal(live.username, registry);
    assert.match(live.password, /^iotlv1\./);
    assert.ok(Date.parse(live.expiresAt) - Date.now() <= 2 * 60_000);
    await fails({ http: 400, code: 3, message: /minutes/ }, 'POST', `/iotcore-console/v1/registries/${registry}:issueLiveCredential`, {
      minutes: 61,
    });
    const cluster = await ok('GET', '/iotcore-console/v1/cluster');
    assert.equal(cluster.role, 'all');
    assert.equal(cluster.edges[0].alive, true);
    await ok('DELETE', `/iot-devices/v1/registries/${registry}`);
  });

  test('every route of the route table was called', () => {
    const missed = deriveRoutes().filter(
      (route) => !calls.some((call) => call.method === route.httpMethod && matchTemplate(route.template, splitRequestPath(call.path)!)),
    );
    assert.deepEqual(
      missed.map((route) => `${route.httpMethod} ${route.path}`),
      [],
    );
  });
});

test('with --api-tls-cert/--api-tls-key the REST gateway speaks HTTPS only', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-rest-tls-'));
  const store = await openStore({ dataDir, mongoDb: 'unused' });
  const certificate = makeCertificate('localhost');
  const logStore = await openEmbeddedLogStore(path.join(dataDir, 'logs'));
  const registry = await startRegistryApi({
    store,
    logStore,
    listen: '127.0.0.1:0',
    restListen: '127.0.0.1:0',
    tls: { certFile: certificate.certFile, keyFile: certificate.keyFile },
    adminTokens: ['tls-token'],
    idPrefix: 'are',
    quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
    logger: pino({ level: 'silent' }),
    audit: () => {},
  });
  t.after(async () => {
    await registry.close();
    await store.close();
    await logStore.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const port = Number(registry.restAddress!.split(':').at(-1));
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpsRequest(
      {
        host: 'localhost',
        port,
        path: '/iot-devices/v1/registries?folderId=f',
        ca: certificate.certPem,
        headers: { authorization: 'Bearer tls-token' },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
  assert.deepEqual(answer, { status: 200, body: '{}' });
  await assert.rejects(fetch(`http://localhost:${port}/iot-devices/v1/registries?folderId=f`), 'no plain HTTP on the TLS port');
});
