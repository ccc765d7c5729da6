import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  isLiveCredentialShape,
  liveCredentialKey,
  liveCredentialOfId,
  readLiveCredential,
  signLiveCredential,
} from '../../../services/registry/access/live-credential.js';

const key = liveCredentialKey(randomBytes(32));
const credential = { registryId: 'are0000000000000001', issuer: 'token:abc', expiresAt: new Date('2030-01-01T00:10:00Z') };

test('a signed live-view credential reads back as what it stands for, and its ID names the same credential', () => {
  const password = signLiveCredential(credential, key);
  assert.ok(isLiveCredentialShape(password));
  assert.ok(isLiveCredentialShape(Buffer.from(password)));
  const read = readLiveCredential(password, key);
  assert.deepEqual(read?.credential, credential);
  assert.ok(read?.credentialId.startsWith('live:'));
  assert.deepEqual(liveCredentialOfId(read!.credentialId), credential);
  assert.doesNotMatch(read!.credentialId, new RegExp(password.split('.').at(-1)!), 'the ID does not carry the MAC');
});

test('forged, altered, re-keyed or malformed credentials are refused', () => {
  const password = signLiveCredential(credential, key);
  const [prefix, body, mac] = password.split('.');
  const otherBody = Buffer.from(JSON.stringify({ r: 'are0000000000000002', i: 'token:abc', e: 1893456600, n: 'x' })).toString('base64url');
  for (const forged of [
    `${prefix}.${otherBody}.${mac}`,
    `${prefix}.${body}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`,
    `${prefix}.${body}`,
    `${prefix}.${body}.${mac}.extra`,
    signLiveCredential(credential, liveCredentialKey(randomBytes(32))),
    'Str0ng-Passw0rd!x',
  ]) {
    assert.equal(readLiveCredential(forged, key), undefined, forged);
  }
  assert.equal(isLiveCredentialShape('Str0ng-Passw0rd!x'), false, 'a stored password is never read as a live-view credential');
  assert.equal(liveCredentialOfId('are1234567890abcdef01'), undefined, 'a password ID is not a live-view credential ID');
});
