// hooks/authorize-forward.ts without sockets: each delivery arrives under the name its subscriber
// used (canonical, `$me`, a device's or a registry's alias), at most at the subscription's QoS, once
// across overlapping subscriptions, and never outside the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRegistryLink, connected, principals, startInMemoryEdge } from '../../support/in-memory-edge.js';

const link = new InMemoryRegistryLink()
  .add({
    principal: principals.registry('r1', [{ device_id: 'd1', alias: 'kitchen/', topic_prefix: '$devices/d1/events/' }]),
    password: 'registry-pass',
  })
  .add({ principal: principals.registry('r2'), password: 'registry-pass' })
  .add({ principal: principals.device('d1', 'r1', { 'cmd/': '$devices/d1/commands/' }), password: 'device-pass' });
const edge = await startInMemoryEdge(link);
test.after(() => edge.close());

test('a command arrives under the name each subscriber used', async () => {
  const names = ['$devices/d1/commands/#', '$me/device/commands/#', 'cmd/#'];
  const devices = await Promise.all(
    names.map(async (filter, n) => {
      const device = await connected(edge, 'd1', 'device-pass', { clientId: `named-${n}` });
      await device.subscribe([[filter, 0]]);
      return device;
    }),
  );
  const registry = await connected(edge, 'r1', 'registry-pass');
  registry.publish('$devices/d1/commands/reboot', 'now');
  const topics = await Promise.all(devices.map(async (device) => (await device.next('publish')).topic));
  assert.deepEqual(topics, ['$devices/d1/commands/reboot', '$me/device/commands/reboot', 'cmd/reboot']);
});

test("a registry reads its devices' events under their alias when it subscribed through it", async () => {
  const registry = await connected(edge, 'r1', 'registry-pass', { clientId: 'aliased' });
  assert.deepEqual(await registry.subscribe([['kitchen/#', 0]]), [0]);
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'thermometer' });
  device.publish('$devices/d1/events/temp', '20');
  assert.equal((await registry.next('publish')).topic, 'kitchen/temp');
});

test("a delivery is at most at the subscription's QoS", async () => {
  const registry = await connected(edge, 'r1', 'registry-pass', { clientId: 'qos0' });
  await registry.subscribe([['$devices/d1/events', 0]]);
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'qos1-publisher' });
  device.publish('$devices/d1/events', 'x', 1);
  assert.equal((await registry.next('publish')).qos, 0);
});

test('overlapping subscriptions deliver a message once', async () => {
  const registry = await connected(edge, 'r1', 'registry-pass', { clientId: 'overlap' });
  await registry.subscribe([
    ['$devices/+/events/#', 1],
    ['$devices/d1/events/#', 1],
    ['kitchen/#', 1],
  ]);
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'once' });
  device.publish('$devices/d1/events/x', 'once', 1);
  await registry.next('publish');
  assert.equal(await registry.receives('publish'), false);
});

test('another registry never receives the messages of this one, whatever it subscribes to', async () => {
  const stranger = await connected(edge, 'r2', 'registry-pass', { clientId: 'stranger' });
  assert.deepEqual(
    await stranger.subscribe([
      ['$devices/+/events/#', 0],
      ['$devices/d1/events', 0],
      ['$registries/+/events', 0],
    ]),
    // Wildcards are granted inside its own namespace; naming another registry's device is refused.
    [0, 128, 0],
  );
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'private' });
  device.publish('$devices/d1/events', 'private');
  device.publish('$registries/r1/events', 'private');
  assert.equal(await stranger.receives('publish', 300), false);
});
