// The internal API edges use: authentication by password or certificate with Yandex's priority
// rules (docs/yandex-behaviour.md §2.5), device lookups, the revocation stream, activity reports, gRPC
// health and server reflection.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Metadata, status, type ClientDuplexStream, type ClientReadableStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { protoPath as healthProto } from 'grpc-health-check';
import {
  EdgeAuthServiceClient,
  AuthenticateRequest,
  type AuthenticateResponse,
  AuthenticateResponse_Result,
  Principal_Kind,
  type Revocation,
  Revocation_Kind,
  WatchRevocationsRequest,
  CheckSessionsRequest,
  type CheckSessionsResponse,
  type LookupDeviceResponse,
} from '../../../services/generated/iotcore/auth/v1/auth.js';
import { deletePassword } from '../../../services/registry/resources/credentials.js';
import { DeviceView } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { DeviceServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import type { Device } from '../../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { createRegistry, setRegistryEnabled } from '../../../services/registry/resources/registries.js';
import { createDevice, deleteDevice } from '../../../services/registry/resources/devices.js';
import { call, startApi, type ApiHarness } from './harness.js';
import { makeCertificate } from '../../support/certificates.js';

const DEVICE_PASSWORD = 'Device-Passw0rd-001';
const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';

describe('EdgeAuthService', () => {
  let harness: ApiHarness;
  let client: EdgeAuthServiceClient;
  let registryId: string;
  let deviceId: string;
  const deviceCert = makeCertificate('device');
  const otherCert = makeCertificate('other-device');
  const checkedCert = makeCertificate('checked-device');

  const authenticate = (fields: Partial<AuthenticateRequest>) =>
    call<AuthenticateRequest, AuthenticateResponse>(
      client,
      'authenticate',
      AuthenticateRequest.fromPartial({ client_id: 'c', ...fields }),
      harness.metadata,
    );
  const withPassword = (username: string, password: string, fingerprint = '') =>
    authenticate({ username, password: Buffer.from(password), has_password: true, certificate_fingerprint: fingerprint });

  before(async () => {
    harness = await startApi();
    client = new EdgeAuthServiceClient(harness.address, harness.channel);
    const ctx = harness.api.ctx;
    const registry = await createRegistry(ctx, {
      folder_id: 'f',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: REGISTRY_PASSWORD,
    });
    registryId = registry.id;
    const device = await createDevice(ctx, {
      registry_id: registryId,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: { 'home/': '$devices/{id}/events/' },
      certificates: [deviceCert.certPem],
      password: DEVICE_PASSWORD,
    });
    deviceId = device.id;
    await createDevice(ctx, {
      registry_id: registryId,
      name: 'other',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [otherCert.certPem],
    });
  });
  after(async () => {
    client.close();
    await harness.close();
  });

  test('device password → principal with aliases', async () => {
    const response = await withPassword(deviceId, DEVICE_PASSWORD);
    assert.equal(response.result, AuthenticateResponse_Result.OK);
    assert.equal(response.principal?.kind, Principal_Kind.DEVICE);
    assert.equal(response.principal?.registry_id, registryId);
    assert.deepEqual(response.principal?.topic_aliases, { 'home/': `$devices/${deviceId}/events/` });
  });

  test('registry password → registry principal with its devices’ aliases', async () => {
    const response = await withPassword(registryId, REGISTRY_PASSWORD);
    assert.equal(response.principal?.kind, Principal_Kind.REGISTRY);
    assert.deepEqual(
      response.principal?.registry_aliases.map((alias) => alias.alias),
      ['home/'],
    );
  });

  test('priority rules of §2.5', async () => {
    // unknown certificate + valid password → accepted by password
    assert.equal(
      (await withPassword(deviceId, DEVICE_PASSWORD, 'ffffffffffffffffffffffffffffffffffffffff')).result,
      AuthenticateResponse_Result.OK,
    );
    // valid certificate + invalid password → rejected
    assert.equal(
      (await withPassword(deviceId, 'Wrong-Passw0rd-123', deviceCert.opensslFingerprint)).result,
      AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD,
    );
    // certificate of another device + valid password → the entity named by the username
    const crossed = await withPassword(deviceId, DEVICE_PASSWORD, otherCert.opensslFingerprint);
    assert.equal(crossed.principal?.id, deviceId);
    // certificate alone → its owner, whatever the username says
    const byCert = await authenticate({ username: 'ignored', certificate_fingerprint: deviceCert.opensslFingerprint });
    assert.equal(byCert.principal?.id, deviceId);
    assert.equal(byCert.principal?.credential_id, deviceCert.opensslFingerprint);
    // unknown certificate, no password → not authorized
    assert.equal(
      (await authenticate({ certificate_fingerprint: 'ffffffffffffffffffffffffffffffffffffffff' })).result,
      AuthenticateResponse_Result.NOT_AUTHORIZED,
    );
    // nothing at all → not authorized; unknown username → bad username or password
    assert.equal((await authenticate({})).result, AuthenticateResponse_Result.NOT_AUTHORIZED);
    assert.equal(
      (await withPassword('are00000000000000000', DEVICE_PASSWORD)).result,
      AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD,
    );
  });

  test('a cached password check still honours a deleted password', async () => {
    const response = await withPassword(deviceId, DEVICE_PASSWORD);
    const passwordId = response.principal!.credential_id;
    await harness.store.deletePassword('device', deviceId, passwordId);
    assert.equal((await withPassword(deviceId, DEVICE_PASSWORD)).result, AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD);
  });

  test('lookup, activity reports and the FULL device view', async () => {
    const found = await call<{ device_id: string }, LookupDeviceResponse>(
      client,
      'lookupDevice',
      { device_id: deviceId },
      harness.metadata,
    );
    assert.deepEqual([found.exists, found.registry_id], [true, registryId]);
    const missing = await call<{ device_id: string }, LookupDeviceResponse>(
      client,
      'lookupDevice',
      { device_id: 'are00000000000000000' },
      harness.metadata,
    );
    assert.equal(missing.exists, false);
    const at = new Date('2026-11-25T12:00:00.000Z');
    await call(
      client,
      'reportActivity',
      { activities: [{ device_id: deviceId, last_auth_ip: '127.0.0.1', last_auth_time: at, last_online_time: at }] },
      harness.metadata,
    );
    const devices = new DeviceServiceClient(harness.address, harness.channel);
    const full = await call<unknown, Device>(devices, 'get', { device_id: deviceId, device_view: DeviceView.FULL }, harness.metadata);
    const basic = await call<unknown, Device>(devices, 'get', { device_id: deviceId, device_view: DeviceView.BASIC }, harness.metadata);
    devices.close();
    assert.equal(full.monitoring_data?.last_auth_ip, '127.0.0.1');
    assert.deepEqual(full.monitoring_data?.last_online_time, at);
    assert.equal(basic.monitoring_data, undefined);
  });

  test('revocations stream: disabled registry and deleted device; disabled registry refuses auth', async () => {
    const stream: ClientReadableStream<Revocation> = client.watchRevocations(WatchRevocationsRequest.fromPartial({}), harness.metadata);
    const received: Revocation[] = [];
    const ready = new Promise<void>((resolve) =>
      stream.on('data', (revocation: Revocation) => {
        received.push(revocation);
        if (revocation.kind === Revocation_Kind.READY) resolve();
      }),
    );
    stream.on('error', () => undefined);
    await ready;
    await setRegistryEnabled(harness.api.ctx, registryId, false);
    assert.equal(
      (await authenticate({ certificate_fingerprint: otherCert.opensslFingerprint })).result,
      AuthenticateResponse_Result.NOT_AUTHORIZED,
    );
    await setRegistryEnabled(harness.api.ctx, registryId, true);
    await deleteDevice(harness.api.ctx, deviceId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.cancel();
    assert.deepEqual(
      received.map((revocation) => Revocation_Kind[revocation.kind]),
      ['READY', 'REGISTRY_DISABLED', 'DEVICE_DELETED'],
    );
  });

  /** Reads a revocation stream until `until` holds for what arrived. */
  const watch = async (request: Partial<WatchRevocationsRequest>, until: (received: Revocation[]) => boolean) => {
    const stream: ClientReadableStream<Revocation> = client.watchRevocations(
      WatchRevocationsRequest.fromPartial(request),
      harness.metadata,
    );
    const received: Revocation[] = [];
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) =>
      stream.on('data', (revocation: Revocation) => {
        received.push(revocation);
        if (until(received)) resolve();
      }),
    );
    return { received, stop: () => stream.cancel() };
  };

  test('a watcher that reconnects resumes after the last position it saw; an unknown position is a GAP', async () => {
    const first = await watch({}, (received) => received.some((revocation) => revocation.kind === Revocation_Kind.READY));
    const head = first.received.at(-1)!;
    first.stop();
    // Revocations while nobody watches.
    const ctx = harness.api.ctx;
    const gone = await createDevice(ctx, {
      registry_id: registryId,
      name: 'gone',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
    });
    await deleteDevice(ctx, gone.id);
    await setRegistryEnabled(ctx, registryId, false);
    await setRegistryEnabled(ctx, registryId, true);
    const resumed = await watch({ after_epoch: head.epoch, after_seq: head.seq }, (received) =>
      received.some((revocation) => revocation.kind === Revocation_Kind.READY),
    );
    resumed.stop();
    assert.deepEqual(
      resumed.received.map((revocation) => Revocation_Kind[revocation.kind]),
      ['DEVICE_DELETED', 'REGISTRY_DISABLED', 'READY'],
    );
    assert.equal(resumed.received[0]!.entity_id, gone.id);
    assert.deepEqual(
      resumed.received.map((revocation) => revocation.seq),
      [head.seq + 1, head.seq + 2, head.seq + 2],
    );
    const unknown = await watch({ after_epoch: 'another-feed', after_seq: 7 }, (received) =>
      received.some((revocation) => revocation.kind === Revocation_Kind.READY),
    );
    unknown.stop();
    assert.deepEqual(
      unknown.received.map((revocation) => Revocation_Kind[revocation.kind]),
      ['GAP', 'READY'],
    );
  });

  test('CheckSessions: still allowed with current aliases, or why not', async () => {
    const ctx = harness.api.ctx;
    const device = await createDevice(ctx, {
      registry_id: registryId,
      name: 'checked',
      description: '',
      labels: {},
      topic_aliases: { 'a/': '$devices/{id}/events/a/' },
      certificates: [],
      password: DEVICE_PASSWORD,
    });
    const passwordId = (await harness.api.ctx.store.listPasswords('device', device.id))[0]!.id;
    const certified = await createDevice(ctx, {
      registry_id: registryId,
      name: 'certified',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [checkedCert.certPem],
    });
    const check = (sessions: CheckSessionsRequest['sessions']) =>
      call<CheckSessionsRequest, CheckSessionsResponse>(
        client,
        'checkSessions',
        CheckSessionsRequest.fromPartial({ sessions }),
        harness.metadata,
      );
    const sessions = [
      { kind: Principal_Kind.DEVICE, id: device.id, credential_id: passwordId },
      { kind: Principal_Kind.DEVICE, id: certified.id, credential_id: checkedCert.opensslFingerprint },
      { kind: Principal_Kind.DEVICE, id: certified.id, credential_id: passwordId },
      { kind: Principal_Kind.REGISTRY, id: registryId, credential_id: 'nope' },
    ];
    const before = (await check(sessions)).results;
    assert.deepEqual(
      before.map((result) => AuthenticateResponse_Result[result.result]),
      ['OK', 'OK', 'NOT_AUTHORIZED', 'NOT_AUTHORIZED'],
    );
    assert.deepEqual(before[0]!.principal?.topic_aliases, { 'a/': `$devices/${device.id}/events/a/` });
    await deletePassword(ctx, { kind: 'device', id: device.id, registry_id: registryId }, passwordId);
    assert.equal((await check(sessions.slice(0, 1))).results[0]!.result, AuthenticateResponse_Result.NOT_AUTHORIZED);
    await assert.rejects(check(Array.from({ length: 1001 }, () => sessions[0]!)), { code: status.INVALID_ARGUMENT });
  });

  test('the internal API needs the token too', async () => {
    await assert.rejects(call(client, 'authenticate', AuthenticateRequest.fromPartial({}), new Metadata()), {
      code: status.UNAUTHENTICATED,
    });
  });

  test('gRPC health reports SERVING', async () => {
    const health = (
      loadPackageDefinition(loadSync(healthProto, { enums: String })) as GrpcObject & {
        grpc: { health: { v1: { Health: new (address: string, credentials: unknown) => object } } };
      }
    ).grpc.health.v1;
    const healthClient = new health.Health(harness.address, harness.channel);
    const response = await call<{ service: string }, { status: string }>(
      healthClient,
      'check',
      { service: 'yandex.cloud.iot.devices.v1.RegistryService' },
      new Metadata(),
    );
    assert.equal(response.status, 'SERVING');
    (healthClient as { close(): void }).close();
  });

  test('server reflection lists the services and describes each one (grpcurl)', async (t) => {
    const reflectionProto = path.join(
      path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
      '../proto/grpc/reflection/v1/reflection.proto',
    );
    const { ServerReflection } = (
      loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as GrpcObject & {
        grpc: { reflection: { v1: { ServerReflection: new (address: string, credentials: unknown) => ReflectionClient } } };
      }
    ).grpc.reflection.v1;
    const reflection = new ServerReflection(harness.address, harness.channel);
    t.after(() => reflection.close());
    const ask = (request: object) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const stream = reflection.ServerReflectionInfo(new Metadata());
        stream.once('data', (response: Record<string, unknown>) => {
          resolve(response);
          stream.end();
        });
        stream.once('error', reject);
        stream.write(request);
      });
    const listed = (await ask({ list_services: '' })) as { list_services_response: { service: Array<{ name: string }> } };
    const names = listed.list_services_response.service.map((service) => service.name);
    for (const name of [
      'yandex.cloud.iot.devices.v1.DeviceService',
      'yandex.cloud.iot.broker.v1.BrokerService',
      'yandex.cloud.operation.OperationService',
    ])
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    const described = (await ask({ file_containing_symbol: 'yandex.cloud.iot.devices.v1.DeviceService' })) as {
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
    };
    const files = described.file_descriptor_response?.file_descriptor_proto ?? [];
    assert.ok(
      files.some((file) => file.includes('DeviceService') && file.includes('GetByName')),
      'the file descriptor of the service, its methods included',
    );
  });
});

interface ReflectionClient {
  ServerReflectionInfo(metadata: Metadata): ClientDuplexStream<object, unknown>;
  close(): void;
}
