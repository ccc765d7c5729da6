// The service-account JWT check of IamTokenService.Create, without sockets: every way a JWT can be
// wrong is refused with UNAUTHENTICATED saying why, and the SDKs' own shapes pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  readServiceAccountJwt,
  verifyServiceAccountJwt,
  type AuthorizedKey,
} from '../../../services/registry/access/service-account-jwt.js';
import { readIamToken, signIamToken } from '../../../services/registry/access/iam-token.js';
import type { ApiError } from '../../../services/registry/api/errors.js';

const NOW = new Date('2026-12-04T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const { publicKey, privateKey } = pair();
const KEY: AuthorizedKey = { id: 'ajekey1', service_account_id: 'ajesa1', public_key: publicKey };

function jwt(options: { header?: object; claims?: object; signWith?: string } = {}): string {
  const header = { typ: 'JWT', alg: 'PS256', kid: KEY.id, ...options.header };
  const claims = {
    iss: KEY.service_account_id,
    aud: 'https://iam.api.cloud.yandex.net/iam/v1/tokens',
    iat: NOW_S - 10,
    exp: NOW_S + 3590,
    ...options.claims,
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: options.signWith ?? privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  });
  return `${input}.${signature.toString('base64url')}`;
}

function refused(token: string, reason: RegExp, key: AuthorizedKey = KEY): void {
  assert.throws(
    () => verifyServiceAccountJwt(readServiceAccountJwt(token), key, NOW),
    (error: ApiError) => error.code === status.UNAUTHENTICATED && reason.test(error.message),
  );
}

test("the SDKs' JWTs verify: Yandex's audience and https://iam.<endpoint>/iam/v1/tokens", () => {
  for (const aud of [
    'https://iam.api.cloud.yandex.net/iam/v1/tokens',
    'https://iam.127.0.0.1:50051/iam/v1/tokens',
    'https://iam.iot.example.com/iam/v1/tokens',
  ]) {
    const token = jwt({ claims: { aud } });
    assert.equal(readServiceAccountJwt(token).kid, KEY.id);
    verifyServiceAccountJwt(readServiceAccountJwt(token), KEY, NOW);
  }
});

test('a signature by another key is refused', () => refused(jwt({ signWith: pair().privateKey }), /signature does not verify/));

test('a tampered payload is refused', () => {
  const [header, , signature] = jwt().split('.');
  const claims = Buffer.from(
    JSON.stringify({ iss: 'ajeother', aud: 'https://iam.api.cloud.yandex.net/iam/v1/tokens', iat: NOW_S, exp: NOW_S + 60 }),
  ).toString('base64url');
  refused(`${header}.${claims}.${signature}`, /signature does not verify/);
});

test("a kid that is not the key's is refused", () => refused(jwt({ header: { kid: 'ajekey2' } }), /kid ajekey2 is not key ajekey1/));

test('another algorithm is refused, "none" included', () => {
  refused(jwt({ header: { alg: 'RS256' } }), /alg must be PS256/);
  refused(jwt({ header: { alg: 'none' } }), /alg must be PS256/);
});

test("an iss other than the key's service account is refused", () =>
  refused(jwt({ claims: { iss: 'ajeother' } }), /iss must be service account ajesa1/));

test('a wrong audience is refused', () => {
  refused(jwt({ claims: { aud: 'https://iam.api.cloud.yandex.net/iam/v1/other' } }), /aud must be/);
  refused(jwt({ claims: { aud: 'https://evil.example.com/iam/v1/tokens' } }), /aud must be/);
  refused(jwt({ claims: { aud: undefined } }), /aud must be/);
});

test('an expired JWT is refused', () => refused(jwt({ claims: { iat: NOW_S - 3600, exp: NOW_S - 1 } }), /expired at/));

test('a lifetime over one hour is refused; exactly one hour is taken', () => {
  refused(jwt({ claims: { iat: NOW_S, exp: NOW_S + 3601 } }), /lifetime/);
  verifyServiceAccountJwt(readServiceAccountJwt(jwt({ claims: { iat: NOW_S, exp: NOW_S + 3600 } })), KEY, NOW);
});

test('an iat from the future (past clock skew) and missing times are refused', () => {
  refused(jwt({ claims: { iat: NOW_S + 120, exp: NOW_S + 600 } }), /in the future/);
  refused(jwt({ claims: { iat: undefined } }), /numeric iat and exp/);
});

test('not a JWT, or no kid: refused before any key is looked up', () => {
  for (const [token, reason] of [
    ['abc', /not a JWT/],
    ['a.b.c', /not base64url JSON/],
    [jwt({ header: { kid: undefined } }), /no kid/],
  ] as const) {
    assert.throws(
      () => readServiceAccountJwt(token),
      (error: ApiError) => error.code === status.UNAUTHENTICATED && reason.test(error.message),
    );
  }
});

test('IAM tokens: read back under the same key; forged, re-keyed or expired ones are refused', () => {
  const key = Buffer.alloc(32, 7);
  const token = signIamToken({ kind: 'key', id: 'ajekey1' }, new Date(NOW.getTime() + 60_000), key);
  assert.match(token, /^t1\./);
  assert.deepEqual(readIamToken(token, key, NOW).source, { kind: 'key', id: 'ajekey1' });
  const unauthenticated = (error: ApiError) => error.code === status.UNAUTHENTICATED;
  assert.throws(() => readIamToken(token, Buffer.alloc(32, 8), NOW), unauthenticated);
  const [, body, mac] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ src: 'admin:x', exp: NOW_S + 60 })).toString('base64url');
  assert.throws(() => readIamToken(`t1.${forged}.${mac}`, key, NOW), unauthenticated);
  assert.throws(() => readIamToken(`t1.${body}`, key, NOW), unauthenticated);
  assert.throws(() => readIamToken(token, key, new Date(NOW.getTime() + 60_000)), /expired/);
});
