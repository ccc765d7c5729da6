// A store that fails while reading the permanent-topic values a SUBSCRIBE matches (here the edge's
// LevelDB state closed under it, as in a shutdown; MongoDB going away fails the same way): the
// subscriber still gets its SUBACK, live messages still reach it, and the edge process stays up
// (before, aedes let the read's error escape as an uncaught exception).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextMessage, registryAndDevice, startEdgeHarness } from '../harness.js';

const REGISTRY_PASSWORD = 'Registry-Passw0rd-01';
const DEVICE_PASSWORD = 'Device-Passw0rd-0001';

test('a failed read of permanent-topic values leaves the subscription standing and the edge serving', async (t) => {
  const harness = await startEdgeHarness({ sessions: { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 0 } });
  t.after(() => harness.close());
  const { registry, device } = await registryAndDevice(harness, { registry: REGISTRY_PASSWORD, device: DEVICE_PASSWORD });
  const publisher = await harness.connect({ username: device, password: DEVICE_PASSWORD });
  await publisher.publishAsync(`$devices/${device}/state`, 'stored', { qos: 1 });

  await harness.mqttState!.close();
  const backend = await harness.connect({ username: registry, password: REGISTRY_PASSWORD });
  const granted = await backend.subscribeAsync([`$devices/${device}/state`, `$devices/${device}/events`], { qos: 0 });
  assert.deepEqual(
    granted.map((grant) => grant.qos),
    [0, 0],
  );

  const live = nextMessage(backend, `$devices/${device}/events`);
  await publisher.publishAsync(`$devices/${device}/events`, 'live', { qos: 0 });
  assert.equal((await live).payload.toString(), 'live');
  assert.ok(backend.connected && publisher.connected);
});
