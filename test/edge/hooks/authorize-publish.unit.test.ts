// hooks/authorize-publish.ts without sockets: who may publish where (a refused PUBLISH closes the
// connection), a registry only to its own devices, permanent topics stored by name and not by the
// RETAIN flag, and the publish rate that drops but still acknowledges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRegistryLink, connected, principals, startInMemoryEdge, type PacketConnection } from '../../support/in-memory-edge.js';

const link = new InMemoryRegistryLink()
  .add({ principal: principals.registry('r1'), password: 'registry-pass' })
  .add({ principal: principals.registry('r2'), password: 'registry-pass' })
  .add({ principal: principals.device('d1', 'r1'), password: 'device-pass' })
  .add({ principal: principals.device('d2', 'r1'), password: 'device-pass' })
  .add({ principal: principals.device('x1', 'r2'), password: 'device-pass' })
  .add({ principal: principals.broker('b1'), password: 'broker-pass' });
const edge = await startInMemoryEdge(link);
test.after(() => edge.close());

async function closedBy(connection: PacketConnection, topic: string): Promise<void> {
  connection.publish(topic, 'x');
  await connection.closed;
}

test('a device publishes to its own events and state; its registry reads them under the same names', async () => {
  const registry = await connected(edge, 'r1', 'registry-pass');
  assert.deepEqual(
    await registry.subscribe([
      ['$devices/+/events/#', 1],
      ['$registries/r1/events', 1],
    ]),
    [1, 1],
  );
  const device = await connected(edge, 'd1', 'device-pass');
  device.publish('$devices/d1/events/temp', '21.5', 1, 7);
  assert.equal((await device.next('puback')).messageId, 7);
  const delivered = await registry.next('publish');
  assert.deepEqual([delivered.topic, delivered.payload.toString(), delivered.qos], ['$devices/d1/events/temp', '21.5', 1]);
  device.publish('$registries/r1/events', 'to the registry');
  assert.equal((await registry.next('publish')).topic, '$registries/r1/events');
});

test('a PUBLISH the client may not make closes its connection', async () => {
  const refused: Array<[string, string]> = [
    ['d1', '$devices/d2/events'],
    ['d1', '$devices/d1/commands'],
    ['d1', '$registries/r2/events'],
    ['d1', '$monitoring/d1/json'],
    ['d1', 'plain/topic'],
    ['r1', '$devices/d1/events'],
    ['b1', '$devices/d1/commands'],
  ];
  for (const [username, topic] of refused) {
    const password = username.startsWith('d') ? 'device-pass' : username.startsWith('r') ? 'registry-pass' : 'broker-pass';
    await closedBy(await connected(edge, username, password, { clientId: `refused-${topic}` }), topic);
  }
});

test('a registry publishes commands to its own devices only', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'listener' });
  await device.subscribe([['$devices/d1/commands', 1]]);
  const registry = await connected(edge, 'r1', 'registry-pass', { clientId: 'sender' });
  registry.publish('$devices/d1/commands', 'reboot', 1);
  await registry.next('puback');
  assert.equal((await device.next('publish')).payload.toString(), 'reboot');
  await closedBy(registry, '$devices/x1/commands');
  await closedBy(await connected(edge, 'r1', 'registry-pass', { clientId: 'sender-2' }), '$devices/no-such-device/commands');
});

test('permanent topics are stored by name (state, config); the RETAIN flag of other topics is ignored', async () => {
  const device = await connected(edge, 'd2', 'device-pass', { clientId: 'stateful' });
  device.publish('$devices/d2/state', 'on', 1, 1);
  await device.next('puback');
  device.send({
    cmd: 'publish',
    topic: '$devices/d2/events',
    payload: Buffer.from('not kept'),
    qos: 1,
    messageId: 2,
    retain: true,
    dup: false,
  });
  await device.next('puback');
  const late = await connected(edge, 'r1', 'registry-pass', { clientId: 'late' });
  await late.subscribe([['$devices/d2/#', 0]]);
  const stored = await late.next('publish');
  assert.deepEqual([stored.topic, stored.payload.toString()], ['$devices/d2/state', 'on']);
  assert.equal(await late.receives('publish'), false, 'the events message was not kept');
});

test('past its publish rate a device is still acknowledged, and the excess is dropped', async (t) => {
  const limited = await startInMemoryEdge(link, { limits: { devicePublishRate: 1 } });
  t.after(() => limited.close());
  const registry = await connected(limited, 'r1', 'registry-pass');
  await registry.subscribe([['$devices/d1/events', 0]]);
  const device = await connected(limited, 'd1', 'device-pass');
  for (let n = 1; n <= 5; n++) device.publish('$devices/d1/events', String(n), 1, n);
  const acknowledged = new Set<number | undefined>();
  for (let n = 1; n <= 5; n++) acknowledged.add((await device.next('puback')).messageId);
  assert.deepEqual([...acknowledged].sort(), [1, 2, 3, 4, 5]);
  await registry.next('publish');
  assert.equal(await registry.receives('publish'), false, 'one message a second: the burst beyond it is dropped');
});

test('a broker publishes to any non-$ topic, seen by its own clients only', async () => {
  const subscriber = await connected(edge, 'b1', 'broker-pass', { clientId: 'sub' });
  await subscriber.subscribe([['sensors/#', 0]]);
  const publisher = await connected(edge, 'b1', 'broker-pass', { clientId: 'pub' });
  publisher.publish('sensors/a', 'x');
  assert.equal((await subscriber.next('publish')).topic, 'sensors/a');
  const registry = await connected(edge, 'r2', 'registry-pass', { clientId: 'nosy' });
  assert.deepEqual(await registry.subscribe([['sensors/#', 0]]), [0x80]);
});
