// The console's live-view MQTT credential end to end in the registry: issued over the API only to a
// token holding iot.registries.writer on the registry's folder, accepted by the authenticator for
// that registry only (CONNECT and a feed gap's recheck), refused once it expires or its issuer's
// token is revoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { ConsoleServiceClient, type IssueLiveCredentialResponse } from '../../../services/generated/iotcore/console/v1/console.js';
import { createRegistry } from '../../../services/registry/resources/registries.js';
import { createAccessToken } from '../../../services/registry/resources/access-tokens.js';
import { TOKEN_CACHE_TTL_MS } from '../../../services/registry/api/access.js';
import { call, startApi } from '../api/harness.js';

test('a live-view credential works for its registry only, while it lasts and while its issuer keeps the role', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const { ctx, authenticator } = harness.api;
  const registry = (folder: string, name: string) =>
    createRegistry(ctx, { folder_id: folder, name, description: '', labels: {}, certificates: [], password: '' }).then((r) => r.id);
  const [r1, r2] = [await registry('f', 'r1'), await registry('f', 'r2')];
  const token = async (role: string) => {
    const { record, secret } = await createAccessToken(
      ctx,
      { description: role, grants: [{ folder_id: 'f', role: role as 'iot.viewer' }] },
      'bootstrap-admin',
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${secret}`);
    return { id: record.id, metadata };
  };
  const consoleClient = new ConsoleServiceClient(harness.address, harness.channel);
  t.after(() => consoleClient.close());
  const issue = (metadata: Metadata, registryId: string) =>
    call<object, IssueLiveCredentialResponse>(consoleClient, 'issueLiveCredential', { registry_id: registryId, minutes: 5 }, metadata);

  const viewer = await token('iot.viewer');
  await assert.rejects(issue(viewer.metadata, r1), (error: { code: number; details: string }) => {
    assert.equal(error.code, status.PERMISSION_DENIED);
    assert.match(error.details, /iot\.registries\.writer/);
    return true;
  });

  const writer = await token('iot.registries.writer');
  const credential = await issue(writer.metadata, r1);
  assert.equal(credential.username, r1);
  const connect = (username: string) => authenticator.authenticate({ username, password: Buffer.from(credential.password) });

  const ok = await connect(r1);
  assert.equal(ok.result, 'OK');
  assert.ok(ok.result === 'OK' && ok.principal.kind === 'registry' && ok.principal.id === r1);
  const principal = ok.result === 'OK' ? ok.principal : assert.fail();
  assert.equal(principal.expires_at_ms, credential.expires_at?.getTime(), 'the edge closes the connection at the expiry');
  assert.equal((await authenticator.recheck('registry', r1, principal.credential_id)).result, 'OK');
  assert.equal((await connect(r2)).result, 'BAD_USERNAME_OR_PASSWORD', 'another registry of the same folder refuses it');
  assert.equal((await authenticator.recheck('registry', r2, principal.credential_id)).result, 'NOT_AUTHORIZED');

  const realNow = ctx.now;
  ctx.now = () => new Date(realNow().getTime() + 6 * 60_000);
  assert.equal((await connect(r1)).result, 'BAD_USERNAME_OR_PASSWORD', 'expired');
  assert.equal((await authenticator.recheck('registry', r1, principal.credential_id)).result, 'BAD_USERNAME_OR_PASSWORD');
  ctx.now = realNow;

  await harness.store.deleteAccessToken(writer.id);
  await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_TTL_MS + 100));
  const revoked = await connect(r1);
  assert.equal(revoked.result, 'NOT_AUTHORIZED', 'the issuing token was revoked');
  assert.equal((await authenticator.recheck('registry', r1, principal.credential_id)).result, 'NOT_AUTHORIZED');
});
