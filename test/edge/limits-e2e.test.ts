// Yandex's limits when configured: a device's publish rate (excess acknowledged, not delivered)
// and a broker's concurrent connections (CONNACK 5 past the cap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { createBroker } from '../../services/registry/resources/brokers.js';
import { startEdgeHarness } from './harness.js';

test('publish rate and connection caps', async (t) => {
  const harness = await startEdgeHarness({ limits: { devicePublishRate: 2, maxConnectionsPerBroker: 2 } });
  t.after(() => harness.close());
  const ctx = harness.api.api.ctx;
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
  const B = (
    await createBroker(ctx, { folder_id: 'f', name: 'b', description: '', labels: {}, certificates: [], password: 'Broker-Passw0rd-001' })
  ).id;

  const registry = await harness.connect({ username: R, password: 'Registry-Passw0rd-01' });
  let received = 0;
  registry.on('message', () => received++);
  await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  const device = await harness.connect({ username: D, password: 'Device-Passw0rd-0001' });
  for (let index = 0; index < 10; index++) await device.publishAsync(`$devices/${D}/events`, String(index), { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(device.connected, 'rate-limited publishes are acknowledged, not punished');
  assert.ok(received >= 2 && received <= 4, `about the burst of 2 delivered, got ${received}`);
  assert.equal(harness.edge.rateLimitedPublishes(), 10 - received);

  await harness.connect({ username: B, password: 'Broker-Passw0rd-001' });
  const second = await harness.connect({ username: B, password: 'Broker-Passw0rd-001' });
  await assert.rejects(harness.connect({ username: B, password: 'Broker-Passw0rd-001' }), (error: { code?: number }) => error.code === 5);
  await second.endAsync();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok((await harness.connect({ username: B, password: 'Broker-Passw0rd-001' })).connected, 'a freed slot can be used again');
});
