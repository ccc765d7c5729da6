// The edge → registry link (iotcore.auth.v1 over gRPC) in both transports of the management API:
// a registry on its default TLS, with edges trusting its CA (--registry-ca), and a registry with
// --api-plaintext, with edges told --registry-plaintext. A device's CONNECT through the edge is
// decided by the registry over the link, so CONNACK 0 shows the link works; an edge that does not
// trust the certificate, or expects TLS from a plaintext registry, answers CONNACK 3 and is not
// ready. One registry process (embedded store) and edges without Redis or MongoDB: the link alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import mqtt from 'mqtt';
import { freePort } from '../support/ports.js';
import { apiClients, NodeProcess, TOKEN } from './harness.js';

const REGISTRY_PASSWORD = 'Link-Registry-Passw0rd';
const DEVICE_PASSWORD = 'Link-Device-Passw0rd!';

async function startRegistry(dir: string, extraArgs: string[]): Promise<NodeProcess> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const registry = new NodeProcess(
    'registry',
    port,
    httpPort,
    [
      ...['--role', 'registry', '--data-dir', path.join(dir, 'registry'), '--api-listen', `127.0.0.1:${port}`],
      ...['--rest-listen', 'off', '--http-listen', `127.0.0.1:${httpPort}`, '--admin-tokens', TOKEN, ...extraArgs],
    ],
    'health and metrics on',
  );
  await registry.start();
  return registry;
}

async function startEdge(dir: string, name: string, registry: NodeProcess, extraArgs: string[]): Promise<NodeProcess> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const edge = new NodeProcess(
    name,
    port,
    httpPort,
    [
      ...['--role', 'edge', '--data-dir', path.join(dir, name), '--mqtt-listen', `127.0.0.1:${port}`],
      ...['--http-listen', `127.0.0.1:${httpPort}`, '--registry-endpoint', `127.0.0.1:${registry.port}`, '--registry-token', TOKEN],
      ...extraArgs,
    ],
    'health and metrics on',
  );
  await edge.start();
  return edge;
}

/** CONNECT as the device through `edge`: the CONNACK code (0 accepted). */
async function connack(edge: NodeProcess, dir: string, deviceId: string): Promise<number> {
  const ca = await readFile(path.join(dir, edge.name, 'tls/ca.pem'));
  try {
    const client = await mqtt.connectAsync(`mqtts://localhost:${edge.port}`, {
      ca,
      username: deviceId,
      password: DEVICE_PASSWORD,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
    });
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

/** The edge's `registry_service` readiness once it settles (the link's stream takes a moment to open). */
async function registryReachable(edge: NodeProcess, expected: boolean): Promise<boolean> {
  let last: boolean | undefined;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    last = (await edge.readiness()).checks.registry_service;
    if (last === expected) return last;
  }
  return last ?? !expected;
}

for (const mode of ['tls', 'plaintext'] as const) {
  test(`edge → registry link with ${mode === 'tls' ? "the registry's default TLS and --registry-ca" : '--api-plaintext and --registry-plaintext'}`, {
    timeout: 90_000,
  }, async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `iotcore-link-${mode}-`));
    const processes: NodeProcess[] = [];
    t.after(async () => {
      for (const node of processes.reverse()) await node.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    const registry = await startRegistry(dir, mode === 'tls' ? [] : ['--api-plaintext']);
    processes.push(registry);
    const registryCa = path.join(dir, 'registry/tls/ca.pem');
    const api = apiClients(
      `127.0.0.1:${registry.port}`,
      mode === 'tls' ? credentials.createSsl(await readFile(registryCa)) : credentials.createInsecure(),
    );
    t.after(() => api.close());
    const registryId = await api.createRegistry('link', REGISTRY_PASSWORD);
    const deviceId = await api.createDevice(registryId, 'sensor', DEVICE_PASSWORD);

    const linked = await startEdge(dir, 'edge', registry, mode === 'tls' ? ['--registry-ca', registryCa] : ['--registry-plaintext']);
    processes.push(linked);
    assert.equal(await registryReachable(linked, true), true, `the edge reaches the registry\n${linked.logTail()}`);
    assert.equal(await connack(linked, dir, deviceId), 0, 'the registry accepted the device over the link');

    // The transport is really checked: the wrong expectation gets no answer from the registry.
    // With TLS, an edge that trusts only the system's roots (its data dir has no CA yet);
    // plaintext, an edge on the default TLS.
    const mismatched = await startEdge(dir, 'mismatched-edge', registry, []);
    processes.push(mismatched);
    assert.equal(await registryReachable(mismatched, false), false, 'the mismatched edge is not linked');
    assert.equal(await connack(mismatched, dir, deviceId), 3, 'CONNACK 3: registry unavailable');
  });
}
