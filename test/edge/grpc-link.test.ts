// An edge that asks a registry service over iotcore.auth.v1 (gRPC): authentication, revocations on
// the stream, and a registry outage answered with CONNACK 3 while connected clients keep working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { ADMIN_TOKEN, startApi } from '../registry/api/harness.js';
import { startEdge } from '../../services/edge/edge.js';
import { grpcLink } from '../../services/edge/registry-link/grpc-link.js';
import { ensureLocalTlsMaterial } from '../../services/common/tls-material.js';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice, deleteDevice } from '../../services/registry/resources/devices.js';
import { closed, nextMessage } from './harness.js';

test('edge with a remote registry: auth, revocation stream, outage → CONNACK 3', { timeout: 30_000 }, async (t) => {
  const api = await startApi();
  const ctx = api.api.ctx;
  const R = (
    await createRegistry(ctx, {
      folder_id: 'f',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: 'Registry-Passw0rd-01',
    })
  ).id;
  const D = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Device-Passw0rd-0001',
    })
  ).id;
  const X = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'x',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Device-Passw0rd-0002',
    })
  ).id;

  const tls = await ensureLocalTlsMaterial(await mkdtemp(path.join(os.tmpdir(), 'iotcore-link-')), []);
  const link = grpcLink({ endpoint: api.address, token: ADMIN_TOKEN });
  const edge = await startEdge({
    link,
    logger: pino({ level: 'silent' }),
    tls: { host: '127.0.0.1', port: 0, cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
    maxMessageBytes: 262_144,
  });
  const ca = await readFile(tls.caFile);
  const connect = (username: string, password: string) =>
    mqtt.connectAsync({
      protocol: 'mqtts',
      host: 'localhost',
      port: edge.ports.tls!,
      ca,
      username,
      password,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
  const clients: mqtt.MqttClient[] = [];
  t.after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    link.close();
    await edge.close();
    await api.close();
  });

  const registry = await connect(R, 'Registry-Passw0rd-01');
  const device = await connect(D, 'Device-Passw0rd-0001');
  const other = await connect(X, 'Device-Passw0rd-0002');
  clients.push(registry, device, other);
  await registry.subscribeAsync(`$devices/+/events`, { qos: 1 });
  const first = nextMessage(registry, `$devices/${D}/events`);
  await device.publishAsync(`$devices/${D}/events`, 'over the link', { qos: 1 });
  assert.equal((await first).payload.toString(), 'over the link');

  await assert.rejects(connect(D, 'Wrong-Passw0rd-0000'), (error: { code?: number }) => error.code === 4);

  const revoked = closed(other);
  await deleteDevice(ctx, X);
  await revoked;

  await api.api.close();
  await assert.rejects(connect(D, 'Device-Passw0rd-0001'), (error: { code?: number }) => error.code === 3);
  const during = nextMessage(registry, `$devices/${D}/events`);
  await device.publishAsync(`$devices/${D}/events`, 'registry is down', { qos: 1 });
  assert.equal((await during).payload.toString(), 'registry is down', 'connected clients keep working');
});
