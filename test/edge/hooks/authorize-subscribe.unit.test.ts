// hooks/authorize-subscribe.ts without sockets: the SUBACK of each filter (QoS 2 granted as 1, a
// refused filter 0x80 alone), the per-connection cap, and UNSUBSCRIBE by the name subscribed with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRegistryLink, connected, principals, startInMemoryEdge } from '../../support/in-memory-edge.js';

const REFUSED = 0x80;
const link = new InMemoryRegistryLink()
  .add({ principal: principals.registry('r1'), password: 'registry-pass' })
  .add({ principal: principals.device('d1', 'r1', { 'cmd/': '$devices/d1/commands/' }), password: 'device-pass' })
  .add({ principal: principals.broker('b1'), password: 'broker-pass' });
const edge = await startInMemoryEdge(link, { maxSubscriptions: 3 });
test.after(() => edge.close());

test('QoS 2 is granted as QoS 1; QoS 0 and 1 as asked', async () => {
  const device = await connected(edge, 'd1', 'device-pass');
  assert.deepEqual(
    await device.subscribe([
      ['$devices/d1/commands', 2],
      ['$devices/d1/config', 0],
      ['$me/device/commands/#', 1],
    ]),
    [1, 0, 1],
  );
  const broker = await connected(edge, 'b1', 'broker-pass');
  assert.deepEqual(await broker.subscribe([['sensors/#', 2]]), [1]);
});

test('a filter the client may not read gets 0x80 alone; the others in the same SUBSCRIBE are granted', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'mixed' });
  const granted = await device.subscribe([
    ['$devices/d2/commands', 1],
    ['$devices/d1/commands', 1],
    ['$devices/+', 0],
    ['$registries/r2/commands', 0],
    ['$devices/d1/events', 0],
  ]);
  assert.deepEqual(granted, [REFUSED, 1, REFUSED, REFUSED, REFUSED]);
  const broker = await connected(edge, 'b1', 'broker-pass', { clientId: 'mixed' });
  assert.deepEqual(
    await broker.subscribe([
      ['$devices/d1/events', 0],
      ['a/+/b', 0],
    ]),
    [REFUSED, 0],
    'brokers see no $ topics',
  );
  assert.ok(!device.isClosed && !broker.isClosed, 'a refused filter does not close the connection');
});

test('past the subscription cap (here 3) filters get 0x80, the connection stays, and renewing a held filter is granted', async () => {
  const broker = await connected(edge, 'b1', 'broker-pass', { clientId: 'capped' });
  assert.deepEqual(
    await broker.subscribe([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['d', 1],
    ]),
    [0, 0, 0, REFUSED],
  );
  assert.deepEqual(await broker.subscribe([['a', 1]], 2), [1], 'a held filter, renewed');
  broker.send({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['b'] });
  await broker.next('unsuback');
  assert.deepEqual(await broker.subscribe([['d', 1]], 4), [1], 'the freed place is taken');
  assert.ok(!broker.isClosed);
});

test('UNSUBSCRIBE names the filter as subscribed ($me, alias, canonical), and stops delivery', async () => {
  const registry = await connected(edge, 'r1', 'registry-pass');
  for (const filter of ['$me/device/commands/#', 'cmd/#', '$devices/d1/commands/#']) {
    const device = await connected(edge, 'd1', 'device-pass', { clientId: `unsubscriber-${filter}` });
    assert.deepEqual(await device.subscribe([[filter, 0]]), [0]);
    registry.publish('$devices/d1/commands/reboot', 'one');
    const delivered = await device.next('publish');
    assert.equal(delivered.payload.toString(), 'one');
    device.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: [filter] });
    await device.next('unsuback');
    registry.publish('$devices/d1/commands/reboot', 'two');
    assert.equal(await device.receives('publish'), false, `nothing after unsubscribing ${filter}`);
    device.end();
  }
});
