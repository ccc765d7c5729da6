// The management API's transport as `iotcore serve` and the CLI use it: TLS from the local CA in
// DATA_DIR/tls when nothing is said (gRPC and REST, what `openssl s_client` shows), which the CLI
// trusts by itself; plaintext only when both sides are told (serve --api-plaintext, the CLI --plaintext).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { promiseClient } from '../../services/common/grpc-client.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { freePort } from '../support/ports.js';
import { apiChannel, CLI, startServer, stopServer } from '../support/serve-process.js';

const run = promisify(execFile);

async function serveIn(t: { after(fn: () => Promise<unknown>): void }, extraArgs: string[] = []) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-api-tls-'));
  const dataDir = path.join(work, 'data');
  const [apiPort, restPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startServer(dataDir, apiPort, mqttPort, ['--rest-listen', `127.0.0.1:${restPort}`, ...extraArgs]);
  t.after(async () => {
    await stopServer(server);
    await rm(work, { recursive: true, force: true });
  });
  const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
  const endpoint = `127.0.0.1:${apiPort}`;
  /** ListRegistries over a channel made with `channel`. */
  const list = async (channel: ChannelCredentials) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const client = new RegistryServiceClient(endpoint, channel);
    try {
      return await promiseClient(client, metadata, 5000).list({ folder_id: 'default', page_size: 0, page_token: '' });
    } finally {
      client.close();
    }
  };
  /** The CLI with `env` (no IOTCORE_* of the test runner's); its exit code and output. */
  const cli = async (env: Record<string, string>, ...args: string[]) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IOTCORE_')));
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [CLI, '--endpoint', endpoint, ...args, 'registry', 'list', '--format', 'json'],
        {
          env: { ...clean, ...env },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  return { work, dataDir, token, apiPort, restPort, endpoint, list, cli };
}

const unavailable = (error: ServiceError) => {
  assert.equal(error.code, status.UNAVAILABLE, error.message);
  return true;
};

test('default serve: the API speaks TLS with a certificate from DATA_DIR/tls/ca.pem; the CLI trusts that CA by itself', async (t) => {
  const api = await serveIn(t);
  const caFile = path.join(api.dataDir, 'tls/ca.pem');

  // What the README shows: TLS on the gRPC port, verified against the local CA.
  const openssl = spawnSync('openssl', ['s_client', '-connect', api.endpoint, '-CAfile', caFile, '-verify_return_error', '-brief'], {
    input: '',
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(openssl.status, 0, openssl.stderr);
  assert.match(openssl.stderr, /Protocol version: TLSv1\.[23]/);
  assert.match(openssl.stderr, /Verification: OK/);

  await assert.rejects(api.list(credentials.createInsecure()), unavailable, 'a plaintext client gets no answer');
  assert.deepEqual((await api.list(apiChannel(api.dataDir))).registries, [], 'a client trusting the CA is served');

  // REST: HTTPS with the same certificate, no plain HTTP.
  const ca = await readFile(caFile);
  const answer = await new Promise<number>((resolve, reject) =>
    httpsRequest(`https://127.0.0.1:${api.restPort}/endpoints`, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    })
      .on('error', reject)
      .end(),
  );
  assert.equal(answer, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${api.restPort}/endpoints`), 'no plain HTTP on the REST port');

  // The CLI next to the server's data dir: its token and its CA, nothing on the command line.
  const beside = await api.cli({ IOTCORE_DATA_DIR: api.dataDir });
  assert.equal(beside.code, 0, beside.stderr);
  assert.deepEqual(JSON.parse(beside.stdout), []);
  // The endpoint is an IP address: nothing on stderr (Node's DEP0123 about an IP as the TLS server name is dropped).
  assert.equal(beside.stderr, '');
  // Elsewhere (no ca.pem in its data dir) the certificate is refused, unless --api-ca names the CA.
  const elsewhere = { IOTCORE_DATA_DIR: path.join(api.work, 'elsewhere'), IOTCORE_TOKEN: api.token };
  const refused = await api.cli(elsewhere);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unable to verify the first certificate/);
  const named = await api.cli(elsewhere, '--api-ca', caFile);
  assert.equal(named.code, 0, named.stderr);
  const plaintext = await api.cli({ IOTCORE_DATA_DIR: api.dataDir }, '--plaintext');
  assert.notEqual(plaintext.code, 0, '--plaintext does not reach a TLS API');
});

test('--api-plaintext: plaintext gRPC and HTTP, reached by the CLI with --plaintext or IOTCORE_API_PLAINTEXT=true', async (t) => {
  const api = await serveIn(t, ['--api-plaintext']);

  assert.deepEqual((await api.list(credentials.createInsecure())).registries, []);
  // The MQTT listener still made the local CA; the API does not use it.
  await assert.rejects(api.list(apiChannel(api.dataDir)), unavailable, 'no TLS on the API port');
  assert.equal((await fetch(`http://127.0.0.1:${api.restPort}/endpoints`)).status, 200, 'REST is plain HTTP');

  const env = { IOTCORE_DATA_DIR: api.dataDir };
  const flag = await api.cli(env, '--plaintext');
  assert.equal(flag.code, 0, flag.stderr);
  const variable = await api.cli({ ...env, IOTCORE_API_PLAINTEXT: 'true' });
  assert.equal(variable.code, 0, variable.stderr);
  assert.notEqual((await api.cli({ ...env, IOTCORE_API_PLAINTEXT: 'false' })).code, 0, '=false keeps TLS on');
  assert.notEqual((await api.cli(env)).code, 0, 'the CLI does not fall back to plaintext by itself');
});

test('--api-plaintext contradicts --api-tls-cert: a usage error', async () => {
  const error = await run(process.execPath, [
    CLI,
    'serve',
    '--api-plaintext',
    '--api-tls-cert',
    'a.pem',
    '--api-tls-key',
    'a-key.pem',
  ]).then(
    () => assert.fail('serve started'),
    (failed: { code: number; stderr: string }) => failed,
  );
  assert.equal(error.code, 2);
  assert.match(error.stderr, /--api-plaintext and --api-tls-cert contradict each other/);
});
