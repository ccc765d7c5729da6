// CONNACK's Session Present for a persistent session without subscriptions [MQTT-3.2.2-2] (a device
// that only publishes): set when the client's session exists, offline or connected, and not after a
// clean session ended it [MQTT-3.2.2-1]. aedes alone sets it only when it finds stored
// subscriptions. On both stores of the edge's MQTT state. (A session held on another edge:
// test/cluster/session-limits.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueDbName } from '../../support/servers.js';
import { closed, registryAndDevice, sessionPresent, startEdgeHarness } from '../harness.js';

const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
const SESSIONS = { maxQueuedMessages: 1000, maxQueuedBytes: 0, expirySeconds: 3600 };

for (const store of ['LevelDB', 'MongoDB'] as const) {
  test(`${store}: Session Present tells whether the client's session existed, subscriptions or not`, async (t) => {
    const harness = await startEdgeHarness({
      sessions: SESSIONS,
      mongoDb: store === 'MongoDB' ? uniqueDbName('session-present') : undefined,
    });
    t.after(() => harness.close());
    const { device } = await registryAndDevice(harness, { registry: 'Registry-Passw0rd-01', device: DEVICE_PASSWORD });
    const connect = (clean: boolean) => harness.connect({ username: device, password: DEVICE_PASSWORD, clientId: 'publisher', clean });

    const first = await connect(false);
    assert.equal(sessionPresent(first), false, 'a new session');
    await first.endAsync();
    const back = await connect(false);
    assert.equal(sessionPresent(back), true, 'back after a DISCONNECT');
    const backClosed = closed(back);
    const takingOver = await connect(false);
    await backClosed;
    assert.equal(sessionPresent(takingOver), true, 'taking over a connected session');
    await takingOver.endAsync();

    const clean = await connect(true);
    assert.equal(sessionPresent(clean), false, 'a clean session never has one');
    await clean.endAsync();
    const afterClean = await connect(false);
    assert.equal(sessionPresent(afterClean), false, 'the clean session ended the old one');
  });
}
