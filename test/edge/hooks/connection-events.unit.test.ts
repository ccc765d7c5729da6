// What the hooks record in the connection log, without sockets: each event with its level, the registry and device
// it is filed under and its payload, and nothing for a principal whose registry has logging disabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRegistryLink, connected, principals, startInMemoryEdge } from '../../support/in-memory-edge.js';
import type { ConnectionLogEntry } from '../../../services/contracts/connection-logs.js';

const link = new InMemoryRegistryLink()
  .add({ principal: principals.device('d1', 'r1'), password: 'device-pass' })
  .add({ principal: { ...principals.device('quiet', 'r2'), log_policy: { disabled: true, min_level: 0 } }, password: 'device-pass' });
const edge = await startInMemoryEdge(link, { connectionLog: { flushIntervalMs: 10 } });
test.after(() => edge.close());

async function entriesOf(deviceId: string, count: number): Promise<ConnectionLogEntry[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const entries = link.logs.filter((entry) => entry.device_id === deviceId);
    if (entries.length >= count) return entries;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return link.logs.filter((entry) => entry.device_id === deviceId);
}

test('connected, subscribe_denied, publish_denied and the disconnect it causes, in order, with their fields', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'sensor-7' });
  await device.subscribe([['$devices/d2/commands', 0]]);
  device.publish('$devices/d2/commands', 'not mine');
  await device.closed;
  const entries = await entriesOf('d1', 4);
  assert.deepEqual(
    entries.map(({ level, event, registry_id, broker_id, payload }) => ({ level, event, registry_id, broker_id, payload })),
    [
      { level: 3, event: 'connected', registry_id: 'r1', broker_id: '', payload: entries[0]!.payload },
      {
        level: 5,
        event: 'subscribe_denied',
        registry_id: 'r1',
        broker_id: '',
        payload: { client_id: 'sensor-7', filter: '$devices/d2/commands', reason: entries[1]!.payload.reason! },
      },
      {
        level: 5,
        event: 'publish_denied',
        registry_id: 'r1',
        broker_id: '',
        payload: { client_id: 'sensor-7', topic: '$devices/d2/commands', reason: entries[2]!.payload.reason! },
      },
      { level: 4, event: 'disconnected', registry_id: 'r1', broker_id: '', payload: { client_id: 'sensor-7', reason: 'publish_denied' } },
    ],
  );
  assert.equal(entries[0]!.payload.client_id, 'sensor-7', 'the client ID as the client sent it');
  assert.match(entries[0]!.message, /^connected, username: "d1", address: ".*", clientID: "sensor-7"$/);
  assert.equal(entries[1]!.message, 'some of subscriptions failed: not allowed to subscribe: ["$devices/d2/commands"]');
  assert.match(entries[2]!.message, /^disconnected: publish to topic "\$devices\/d2\/commands" not allowed/);
});

test('a registry with logging disabled: nothing is recorded for its devices', async () => {
  const device = await connected(edge, 'quiet', 'device-pass');
  await device.subscribe([['$devices/d2/commands', 0]]);
  device.end();
  await device.closed;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(await entriesOf('quiet', 0), []);
});
