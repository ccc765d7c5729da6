// The access rules without a server: role inclusion, what a principal may do on which folder,
// the PERMISSION_DENIED message, token secrets, grant validation, and the unary adapter's refusal
// of a handler that forgot to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { ROLES, roleCovers } from '../../../services/registry/access/roles.js';
import { Principal } from '../../../services/registry/access/principal.js';
import { isTokenSecretShape, newTokenSecret, tokenHash } from '../../../services/registry/access/token-secret.js';
import { validateGrants } from '../../../services/registry/resources/access-tokens.js';
import type { ApiError } from '../../../services/registry/api/errors.js';
import { unary } from '../../../services/registry/api/unary.js';
import { FieldError } from '../../../services/registry/validation/field-error.js';

test('roles include what Yandex says they include, and nothing else', () => {
  const covered = (granted: (typeof ROLES)[number]) => ROLES.filter((required) => roleCovers(granted, required));
  assert.deepEqual(covered('iot.viewer'), ['iot.viewer']);
  assert.deepEqual(covered('iot.devices.writer'), ['iot.devices.writer']);
  assert.deepEqual(covered('iot.registries.writer'), ['iot.registries.writer']);
  assert.deepEqual(covered('iot.editor'), ['iot.viewer', 'iot.editor', 'iot.devices.writer', 'iot.registries.writer']);
  assert.deepEqual(covered('admin'), [...ROLES]);
});

test('a scoped principal holds its grants on their folders only; a bootstrap admin everything', () => {
  const editor = Principal.scoped('tok1', [{ folder_id: 'folder-a', role: 'iot.editor' }]);
  assert.equal(editor.has('iot.viewer', 'folder-a'), true);
  assert.equal(editor.has('iot.editor', 'folder-b'), false);
  assert.equal(editor.has('admin', 'folder-a'), false);
  assert.equal(editor.name, 'token:tok1');
  const admin = Principal.bootstrapAdmin();
  assert.equal(admin.has('admin', 'any-folder'), true);
  assert.doesNotThrow(() => admin.requireBootstrapAdmin());
});

test('require names the missing role and folder, and marks the call as checked either way', () => {
  const viewer = Principal.scoped('tok2', [{ folder_id: 'folder-a', role: 'iot.viewer' }]);
  assert.equal(viewer.authorized, false);
  assert.throws(
    () => viewer.require('iot.editor', 'folder-a'),
    (error: ApiError) =>
      error.code === status.PERMISSION_DENIED && error.message === 'permission denied: role iot.editor on folder folder-a required',
  );
  assert.equal(viewer.authorized, true);
  assert.throws(
    () => viewer.requireBootstrapAdmin(),
    (error: ApiError) => error.code === status.PERMISSION_DENIED,
  );
});

test('secrets are prefixed, 256-bit, distinct; only their SHA-256 is kept', () => {
  const first = newTokenSecret();
  const second = newTokenSecret();
  assert.match(first, /^iotc_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(first, second);
  assert.equal(isTokenSecretShape(first), true);
  assert.equal(isTokenSecretShape('test-admin-token'), false);
  assert.match(tokenHash(first), /^[0-9a-f]{64}$/);
  assert.ok(!tokenHash(first).includes(first.slice(5, 15)));
});

test('grants: at least one, known roles, valid folders, duplicates dropped', () => {
  assert.throws(() => validateGrants([]), FieldError);
  assert.throws(() => validateGrants([{ folder_id: 'f', role: 'iot.owner' }]), /grants\[0\]\.role: must be one of iot\.viewer/);
  assert.throws(() => validateGrants([{ folder_id: '', role: 'iot.viewer' }]), /grants\[0\]\.folder_id: is required/);
  assert.deepEqual(
    validateGrants([
      { folder_id: 'f', role: 'iot.viewer' },
      { folder_id: 'f', role: 'iot.viewer' },
      { folder_id: 'g', role: 'admin' },
    ]),
    [
      { folder_id: 'f', role: 'iot.viewer' },
      { folder_id: 'g', role: 'admin' },
    ],
  );
});

test('a handler that answers without an access check is refused with INTERNAL, not answered', async () => {
  const access = {
    principal: async () => Principal.scoped('tok3', [{ folder_id: 'f', role: 'iot.viewer' }]),
    iamTokenSource: async () => assert.fail('not asked'),
    principalByName: async () => assert.fail('not asked'),
  };
  const handler = unary({ access, logger: pino({ level: 'silent' }), audit: () => {} }, 'Test.Unchecked', async () => 'the answer');
  const outcome = await new Promise<{ error: ServiceError | null; response: unknown }>((resolve) =>
    handler({ request: {}, metadata: new Metadata() } as ServerUnaryCall<object, string>, (error, response) =>
      resolve({ error: error as ServiceError | null, response }),
    ),
  );
  assert.equal(outcome.error?.code, status.INTERNAL);
  assert.equal(outcome.response, undefined);
});
