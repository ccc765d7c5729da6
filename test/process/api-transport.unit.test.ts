// How the management API's transport is chosen, without sockets: the plaintext switches and their
// contradictions, which CAs a client trusts, and the names the local certificate is made for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { resolveServeConfig } from '../../services/common/config.js';
import { apiTrustedRoots } from '../../services/common/api-trust.js';
import { apiServerTls } from '../../services/process/server-tls.js';

test('TLS unless --api-plaintext / --registry-plaintext say otherwise, spelled out; contradictions refused', () => {
  assert.equal(resolveServeConfig({}).apiPlaintext, false);
  assert.equal(resolveServeConfig({}).registryPlaintext, false);
  assert.equal(resolveServeConfig({ apiPlaintext: true }).apiPlaintext, true, 'a bare --api-plaintext');
  for (const [value, expected] of [
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ] as const)
    assert.equal(resolveServeConfig({ apiPlaintext: value, registryPlaintext: value }).registryPlaintext, expected, value);
  assert.throws(() => resolveServeConfig({ apiPlaintext: 'off-ish' }), /--api-plaintext \(IOTCORE_API_PLAINTEXT\): not true or false/);
  assert.throws(
    () => resolveServeConfig({ apiPlaintext: true, apiTlsCert: 'c.pem', apiTlsKey: 'k.pem' }),
    /--api-plaintext and --api-tls-cert contradict/,
  );
  assert.throws(
    () => resolveServeConfig({ registryPlaintext: 'true', registryCa: 'ca.pem' }),
    /--registry-plaintext and --registry-ca contradict/,
  );
});

test("a client trusts the CA it is given, else DATA_DIR/tls/ca.pem with the system's roots, else the system's", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-trust-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const given = path.join(dir, 'given.pem');
  await writeFile(given, 'GIVEN');
  assert.equal(apiTrustedRoots(given, dir).toString(), 'GIVEN', 'an explicit file alone');
  const system = rootCertificates.join('\n');
  assert.equal(apiTrustedRoots(undefined, dir).toString(), system, 'no local CA yet');
  await mkdir(path.join(dir, 'tls'));
  await writeFile(path.join(dir, 'tls/ca.pem'), 'LOCAL');
  assert.equal(apiTrustedRoots(undefined, dir).toString(), `LOCAL\n${system}`);
});

test("the API's default certificate is the local CA's, for localhost, the host name, the listen and the advertised hosts", async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-api-cert-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const config = resolveServeConfig({ dataDir, apiListen: '10.1.2.3:50051', apiAdvertise: 'iot.example.com:443' });
  const files = await apiServerTls(config);
  assert.ok(files?.caFile, 'from the local CA');
  const certificate = new X509Certificate(await readFile(files.certFile));
  assert.ok(certificate.checkIssued(new X509Certificate(await readFile(files.caFile))));
  for (const host of ['localhost', os.hostname(), 'iot.example.com']) assert.equal(certificate.checkHost(host), host, host);
  for (const ip of ['127.0.0.1', '10.1.2.3']) assert.equal(certificate.checkIP(ip), ip, ip);

  // A wildcard listen address is no name of the host.
  const fresh = path.join(dataDir, 'wildcard');
  const wildcard = await apiServerTls(resolveServeConfig({ dataDir: fresh, apiListen: '0.0.0.0:50051' }));
  const general = new X509Certificate(await readFile(wildcard!.certFile));
  assert.equal(general.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(general.checkIP('0.0.0.0'), undefined);
  assert.deepEqual(await apiServerTls(resolveServeConfig({ dataDir, apiTlsCert: 'c.pem', apiTlsKey: 'k.pem' })), {
    certFile: 'c.pem',
    keyFile: 'k.pem',
  });
  assert.equal(await apiServerTls(resolveServeConfig({ dataDir, apiPlaintext: true })), undefined);
});
