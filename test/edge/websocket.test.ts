// MQTT over secure WebSocket (opt-in): same authentication (passwords and pinned certificates),
// same topics, and the packet-size limit enforced by the WebSocket layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { makeCertificate } from '../support/certificates.js';
import { closed, nextMessage, startEdgeHarness } from './harness.js';

test('MQTT over WSS talks to MQTT over TLS', async (t) => {
  const harness = await startEdgeHarness({ wss: true, maxMessageBytes: 4096 });
  t.after(() => harness.close());
  const ctx = harness.api.api.ctx;
  const certificate = makeCertificate('ws-device');
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
      certificates: [certificate.certPem],
      password: 'Device-Passw0rd-0001',
    })
  ).id;
  const overWss = (options: mqtt.IClientOptions) =>
    mqtt.connectAsync(`wss://localhost:${harness.edge.ports.wss}/mqtt`, {
      ca: harness.ca,
      reconnectPeriod: 0,
      protocolVersion: 4,
      ...options,
    });

  const registry = await harness.connect({ username: R, password: 'Registry-Passw0rd-01' });
  await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  const byPassword = await overWss({ username: D, password: 'Device-Passw0rd-0001' });
  const first = nextMessage(registry);
  await byPassword.publishAsync(`$devices/${D}/events`, 'over websocket', { qos: 1 });
  assert.equal((await first).payload.toString(), 'over websocket');

  const byCertificate = await overWss({ cert: certificate.certPem, key: certificate.keyPem });
  const second = nextMessage(registry);
  await byCertificate.publishAsync(`$devices/${D}/events`, 'pinned certificate', { qos: 1 });
  assert.equal((await second).payload.toString(), 'pinned certificate');

  const gone = closed(byPassword);
  byPassword.publish(`$devices/${D}/events`, Buffer.alloc(8192));
  await gone;
  await Promise.all([byCertificate.endAsync(), byPassword.endAsync(true)]);
});
