// Connection logs through the gRPC APIs a cluster uses: a separate edge's registry link learns each principal's
// LogOptions at CONNECT (and whose log a wrong password goes to), sends entries with WriteLogs, and
// iotcore.logs.v1.LogService reads them back page by page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { LogServiceClient, ReadLogsRequest, type ReadLogsResponse } from '../../../services/generated/iotcore/logs/v1/logs.js';
import { grpcLink } from '../../../services/edge/registry-link/grpc-link.js';
import { createRegistry } from '../../../services/registry/resources/registries.js';
import { createDevice } from '../../../services/registry/resources/devices.js';
import { createBroker } from '../../../services/registry/resources/brokers.js';
import type { ConnectionLogEntry } from '../../../services/contracts/connection-logs.js';
import { ADMIN_TOKEN, call, startApi, type ApiHarness } from './harness.js';

const DEVICE_PASSWORD = 'Device-Passw0rd-001';

describe('connection logs over gRPC', () => {
  let harness: ApiHarness;
  let link: ReturnType<typeof grpcLink>;
  let logs: LogServiceClient;
  let registryId: string;
  let deviceId: string;
  let brokerId: string;
  const read = (request: Partial<ReadLogsRequest>) =>
    call<ReadLogsRequest, ReadLogsResponse>(logs, 'read', ReadLogsRequest.fromPartial(request), harness.metadata);

  before(async () => {
    harness = await startApi();
    link = grpcLink({ endpoint: harness.address, token: ADMIN_TOKEN });
    logs = new LogServiceClient(harness.address, harness.channel);
    const ctx = harness.api.ctx;
    registryId = (
      await createRegistry(ctx, {
        folder_id: 'f',
        name: 'r',
        description: '',
        labels: {},
        certificates: [],
        log_options: { disabled: false, min_level: 4 },
      })
    ).id;
    deviceId = (
      await createDevice(ctx, {
        registry_id: registryId,
        name: 'd',
        description: '',
        labels: {},
        certificates: [],
        topic_aliases: {},
        password: DEVICE_PASSWORD,
      })
    ).id;
    brokerId = (
      await createBroker(ctx, {
        folder_id: 'f',
        name: 'b',
        description: '',
        labels: {},
        certificates: [],
        log_options: { disabled: true, min_level: 0 },
      })
    ).id;
  });
  after(async () => {
    link.close();
    logs.close();
    await harness.close();
  });

  test("the edge learns the registry's LogOptions with the principal, and whose log a wrong password goes to", async () => {
    const ok = await link.authenticate({ username: deviceId, password: Buffer.from(DEVICE_PASSWORD) });
    assert.equal(ok.result, 'OK');
    assert.deepEqual(ok.result === 'OK' && ok.principal.log_policy, { disabled: false, min_level: 4 });
    const wrong = await link.authenticate({ username: deviceId, password: Buffer.from('Wrong-Passw0rd-001') });
    assert.deepEqual(wrong.result !== 'OK' && wrong.subject, {
      kind: 'device',
      id: deviceId,
      registry_id: registryId,
      log_policy: { disabled: false, min_level: 4 },
    });
    const unknown = await link.authenticate({ username: 'nobody', password: Buffer.from('x') });
    assert.equal(unknown.result !== 'OK' && unknown.subject, undefined, 'an unknown username has no log');
    const broker = await link.authenticate({ username: brokerId, password: Buffer.from('Wrong-Passw0rd-001') });
    assert.deepEqual(broker.result !== 'OK' && broker.subject?.log_policy, { disabled: true, min_level: 0 });
  });

  test('WriteLogs stores, Read pages by registry, device and broker; retries store once', async () => {
    const at = Date.now();
    const entry = (n: number, fields: Partial<ConnectionLogEntry> = {}): ConnectionLogEntry => ({
      uid: `grpc${n}`,
      timestamp: new Date(at + n),
      level: 4,
      event: 'disconnected',
      message: `m${n}`,
      registry_id: registryId,
      broker_id: '',
      device_id: deviceId,
      payload: { reason: 'keepalive_timeout' },
      ...fields,
    });
    const batch = [entry(1), entry(2), entry(3, { device_id: '' }), entry(4, { registry_id: '', broker_id: brokerId, device_id: '' })];
    await link.writeLogs(batch);
    await link.writeLogs(batch.slice(0, 2));
    assert.deepEqual(
      (await read({ source: { $case: 'registry_id', value: registryId } })).entries.map((item) => item.message),
      ['m3'],
      "the registry's own entries, not its devices' (as Yandex's registry log)",
    );
    const withDevice = { source: { $case: 'registry_id' as const, value: registryId }, device_ids: [deviceId, ''] };
    const first = await read({ ...withDevice, page_size: 2 });
    assert.deepEqual(
      first.entries.map((item) => item.message),
      ['m1', 'm2'],
    );
    assert.deepEqual(first.entries[0], batch[0], 'every field round-trips');
    const second = await read({ ...withDevice, page_size: 2, page_token: first.next_page_token });
    assert.deepEqual(
      second.entries.map((item) => item.message),
      ['m3'],
    );
    assert.equal(second.next_page_token, '');
    const device = await read({ source: { $case: 'device_id', value: deviceId }, since: new Date(at + 2) });
    assert.deepEqual(
      device.entries.map((item) => item.message),
      ['m2'],
    );
    const broker = await read({ source: { $case: 'broker_id', value: brokerId } });
    assert.deepEqual(
      broker.entries.map((item) => item.message),
      ['m4'],
    );
  });

  test('bad requests are INVALID_ARGUMENT naming the field', async () => {
    const refused = async (request: Partial<ReadLogsRequest>, field: RegExp) => {
      const error = (await read(request).catch((caught: unknown) => caught)) as ServiceError;
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.match(error.details, field);
    };
    await refused({}, /source/);
    await refused({ source: { $case: 'registry_id', value: registryId }, page_token: 'garbage' }, /page_token/);
    await refused({ source: { $case: 'registry_id', value: registryId }, page_size: 5000 }, /page_size/);
    const write = (await link
      .writeLogs([
        {
          uid: 'x',
          timestamp: new Date(),
          level: 3,
          event: 'connected',
          message: '',
          registry_id: '',
          broker_id: '',
          device_id: '',
          payload: {},
        },
      ])
      .catch((caught: unknown) => caught)) as ServiceError;
    assert.equal(write.code, status.INVALID_ARGUMENT, 'an entry belongs to a registry or a broker');
  });
});
