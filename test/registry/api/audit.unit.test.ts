// The audit trail's event names and contents, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import { auditEvent, auditEventType, type AuditedCall } from '../../../services/registry/api/audit.js';
import { completedOperation, pack, EMPTY_RESPONSE } from '../../../services/registry/api/operations.js';
import { Principal } from '../../../services/registry/access/principal.js';
import type { ResourceContext } from '../../../services/registry/resources/context.js';
import { AddDevicePasswordMetadata, CreateDeviceMetadata } from '../../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';

test("Yandex's 21 IoT Core audit event names come from the method names", () => {
  const expected: Record<string, string> = {};
  for (const [service, source, entity] of [
    ['RegistryService', 'devices', 'Registry'],
    ['DeviceService', 'devices', 'Device'],
    ['BrokerService', 'broker', 'Broker'],
  ] as const) {
    for (const verb of ['Create', 'Update', 'Delete']) expected[`${service}.${verb}`] = `yandex.cloud.audit.iot.${source}.${verb}${entity}`;
    for (const verb of ['Add', 'Delete'])
      for (const credential of ['Certificate', 'Password'])
        expected[`${service}.${verb}${credential}`] = `yandex.cloud.audit.iot.${source}.${verb}${entity}${credential}`;
  }
  assert.equal(Object.keys(expected).length, 21);
  for (const [method, type] of Object.entries(expected)) assert.equal(auditEventType(method), type, method);
  assert.equal(auditEventType('RegistryService.Disable'), 'yandex.cloud.audit.iot.devices.DisableRegistry');
  assert.equal(
    auditEventType('DeviceService.ImportSomething'),
    'yandex.cloud.audit.iot.devices.ImportSomething',
    'a verb Yandex never named',
  );
  assert.equal(auditEventType('AccessTokenService.Create'), 'iotcore.audit.AccessTokenService.Create');
  assert.equal(auditEventType('ServiceAccountService.DeleteKey'), 'iotcore.audit.ServiceAccountService.DeleteKey');
});

test('reads, data-plane publishes and the edges’ calls are not audited', () => {
  for (const method of [
    'RegistryService.Get',
    'RegistryService.List',
    'RegistryService.ListOperations',
    'DeviceService.GetByName',
    'DeviceDataService.Publish',
    'LogService.Read',
    'OperationService.Get',
    'EdgeAuthService.Authenticate',
    'EdgeAuthService.WriteLogs',
  ])
    assert.equal(auditEventType(method), undefined, method);
});

const fixedContext = (): ResourceContext =>
  ({
    now: () => new Date('2026-12-08T00:00:00Z'),
    newId: () => 'areoperation000000001',
    store: { putOperation: async () => {} },
  }) as unknown as ResourceContext;

function call(fields: Partial<AuditedCall>): AuditedCall {
  return {
    type: 'yandex.cloud.audit.iot.devices.AddDevicePassword',
    caller: 'token:tok1',
    peer: '192.0.2.7:50000',
    metadata: new Metadata(),
    request: {},
    outcome: { response: {} },
    now: new Date('2026-12-08T00:00:01Z'),
    ...fields,
  };
}

test("a change made: the caller, the request's identifiers and the operation's, and never a secret", async () => {
  const operation = await completedOperation(fixedContext(), Principal.bootstrapAdmin(), {
    resource_id: 'aredevice00000000001',
    description: 'Add device password',
    metadata: pack(
      'yandex.cloud.iot.devices.v1.AddDevicePasswordMetadata',
      AddDevicePasswordMetadata,
      AddDevicePasswordMetadata.fromPartial({ device_id: 'aredevice00000000001', password_id: 'arepassword000000001' }),
    ),
    response: EMPTY_RESPONSE,
  });
  const metadata = new Metadata();
  metadata.set('user-agent', 'yc/0.140.0');
  const event = auditEvent(
    call({
      metadata,
      request: { device_id: 'aredevice00000000001', password: 'Secret-Passw0rd-123', labels: { owner: 'x' } },
      outcome: { response: operation },
    }),
  );
  assert.equal(event.event_source, 'iot');
  assert.equal(event.event_type, 'yandex.cloud.audit.iot.devices.AddDevicePassword');
  assert.equal(event.event_status, 'DONE');
  assert.equal(event.event_time, '2026-12-08T00:00:01.000Z');
  assert.deepEqual(event.authentication, { authenticated: true, subject_id: 'token:tok1' });
  assert.deepEqual(event.authorization, { authorized: true });
  assert.deepEqual(event.request_metadata, { remote_address: '192.0.2.7:50000', user_agent: 'yc/0.140.0' });
  assert.deepEqual(event.details, {
    device_id: 'aredevice00000000001',
    operation_id: 'areoperation000000001',
    password_id: 'arepassword000000001',
  });
  assert.doesNotMatch(JSON.stringify(event), /Secret-Passw0rd|owner/);
});

test("a created resource's ID comes from the operation's metadata; an answer that is not an operation gives only IDs", async () => {
  const created = await completedOperation(fixedContext(), Principal.bootstrapAdmin(), {
    resource_id: 'aredevice00000000002',
    description: 'Create device',
    metadata: pack('yandex.cloud.iot.devices.v1.CreateDeviceMetadata', CreateDeviceMetadata, { device_id: 'aredevice00000000002' }),
    response: EMPTY_RESPONSE,
  });
  assert.equal(auditEvent(call({ outcome: { response: created } })).details.device_id, 'aredevice00000000002');

  const token = auditEvent(
    call({
      type: 'iotcore.audit.AccessTokenService.Create',
      request: { description: 'ci', grants: [] },
      outcome: { response: { access_token: { id: 'aretoken000000000001', description: 'ci' }, secret: 'iotcore-secret-value' } },
    }),
  );
  assert.equal(token.event_source, 'iotcore');
  assert.deepEqual(token.details, { access_token_id: 'aretoken000000000001' });
  assert.doesNotMatch(JSON.stringify(token), /iotcore-secret-value/);
});

test('a change refused: the error, and whether the caller was known and allowed', () => {
  const denied = auditEvent(
    call({ request: { device_id: 'aredevice00000000001' }, outcome: { error: { code: 7, message: 'no iot.editor' } } }),
  );
  assert.equal(denied.event_status, 'ERROR');
  assert.deepEqual(denied.error, { code: 7, message: 'no iot.editor' });
  assert.deepEqual(denied.authentication, { authenticated: true, subject_id: 'token:tok1' });
  assert.deepEqual(denied.authorization, { authorized: false });

  const unknown = auditEvent(call({ caller: undefined, outcome: { error: { code: 16, message: 'unknown token' } } }));
  assert.deepEqual(unknown.authentication, { authenticated: false, subject_id: '' });
  assert.deepEqual(unknown.authorization, { authorized: false });

  const invalid = auditEvent(call({ outcome: { error: { code: 3, message: 'name: bad' } } }));
  assert.deepEqual(invalid.authorization, { authorized: true }, 'allowed, and refused for what it asked');
});
