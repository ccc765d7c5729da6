// Shared subscriptions on one edge (`$share/<group>/<filter>`), without sockets: one member of a
// group gets each message, in turn; the ACL decides on the filter inside; aliases and `$me` name
// deliveries as plain subscriptions do; a member that leaves before its PUBACK has its messages
// sent to another member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket } from 'mqtt-packet';
import mqemitter from 'mqemitter';
import { register } from 'prom-client';
import { InMemoryRegistryLink, connected, principals, startInMemoryEdge, type PacketConnection } from '../../support/in-memory-edge.js';

const REFUSED = 0x80;
const link = new InMemoryRegistryLink()
  .add({ principal: principals.registry('r1'), password: 'registry-pass' })
  .add({ principal: principals.registry('r2'), password: 'registry2-pass' })
  .add({ principal: principals.device('d1', 'r1', { 'cmd/': '$devices/d1/commands/' }), password: 'device-pass' })
  .add({ principal: principals.device('d2', 'r1'), password: 'device-pass' })
  .add({ principal: principals.broker('b1'), password: 'broker-pass' });
const edge = await startInMemoryEdge(link);
test.after(() => edge.close());

/** Every PUBLISH the connection gets until it has been quiet for `quietMs`, acknowledged unless told not to. */
async function drain(connection: PacketConnection, quietMs = 100, acknowledge = true): Promise<IPublishPacket[]> {
  const packets: IPublishPacket[] = [];
  while ((await connection.receives('publish', 0)) || (await connection.receives('publish', quietMs))) {
    const packet = await connection.next('publish');
    packets.push(packet);
    if (acknowledge && packet.qos === 1) connection.send({ cmd: 'puback', messageId: packet.messageId! });
  }
  return packets;
}

async function members(group: string, filter: string, count: number, prefix: string): Promise<PacketConnection[]> {
  const connections: PacketConnection[] = [];
  for (let n = 0; n < count; n++) {
    const member = await connected(edge, 'r1', 'registry-pass', { clientId: `${prefix}-${n}` });
    assert.deepEqual(await member.subscribe([[`$share/${group}/${filter}`, 1]]), [1]);
    connections.push(member);
  }
  return connections;
}

test('each message goes to one member of the group, in turn; a second group and a plain subscriber get their own copy', async () => {
  const group = await members('workers', '$devices/+/events', 3, 'worker');
  const other = await members('audit', '$devices/+/events', 1, 'audit');
  const plain = await connected(edge, 'r1', 'registry-pass', { clientId: 'plain' });
  assert.deepEqual(await plain.subscribe([['$devices/d1/events', 0]]), [0]);
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'publisher' });
  for (let n = 1; n <= 30; n++) {
    device.publish('$devices/d1/events', `m${n}`, 1, n);
    await device.next('puback');
  }
  const got = await Promise.all(group.map((member) => drain(member)));
  assert.deepEqual(
    got.map((packets) => packets.length),
    [10, 10, 10],
    'round-robin',
  );
  const payloads = got.flat().map((packet) => packet.payload.toString());
  assert.equal(new Set(payloads).size, 30, 'no message twice, none missing');
  assert.ok(got.flat().every((packet) => packet.topic === '$devices/d1/events' && packet.qos === 1));
  assert.equal((await drain(other[0]!)).length, 30);
  assert.equal((await drain(plain)).length, 30);
  for (const connection of [...group, ...other, plain, device]) connection.end();
});

test('the ACL decides on the filter inside: what the member may not read is refused, malformed forms too', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'acl' });
  assert.deepEqual(
    await device.subscribe([
      ['$share/g/$devices/d1/commands', 1],
      ['$share/g/$devices/d2/commands', 1],
      ['$share/g/$devices/d1/events', 1],
      ['$share/g/$monitoring/d1/json', 0],
      ['$share/g', 1],
      ['$share//$devices/d1/commands', 1],
      ['$share/g/', 1],
    ]),
    [1, REFUSED, REFUSED, 0, REFUSED, REFUSED, REFUSED],
  );
  const wildcardGroup = await connected(edge, 'd1', 'device-pass', { clientId: 'wildcard-group' });
  wildcardGroup.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g+/$devices/d1/commands', qos: 1 }] });
  await wildcardGroup.closed;
  assert.ok(wildcardGroup.isClosed, 'a "+" inside a level is no valid filter at all: the connection is closed, as for any such filter');
  const other = await connected(edge, 'r2', 'registry2-pass', { clientId: 'foreign' });
  assert.deepEqual(await other.subscribe([['$share/g/$devices/+/events', 1]]), [1]);
  const publisher = await connected(edge, 'd1', 'device-pass', { clientId: 'acl-publisher' });
  publisher.publish('$devices/d1/events', 'private', 1, 7);
  await publisher.next('puback');
  assert.equal(await other.receives('publish'), false, "another registry's group never sees r1's events");
  const broker = await connected(edge, 'b1', 'broker-pass', { clientId: 'broker' });
  assert.deepEqual(
    await broker.subscribe([
      ['$share/g/sensors/#', 1],
      ['$share/g/$devices/d1/events', 1],
    ]),
    [1, REFUSED],
  );
  broker.publish('sensors/t1', '21.5', 1, 3);
  await broker.next('puback');
  const [reading] = await drain(broker);
  assert.equal(reading?.topic, 'sensors/t1', 'a broker client gets its own topic name back');
  for (const connection of [device, other, publisher, broker]) connection.end();
});

test('aliases and $me name shared deliveries as the member subscribed', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'alias-member' });
  assert.deepEqual(await device.subscribe([['$share/g/cmd/#', 1]]), [1]);
  const viaMe = await connected(edge, 'd1', 'device-pass', { clientId: 'me-member' });
  assert.deepEqual(await viaMe.subscribe([['$share/me/$me/device/commands/#', 1]]), [1]);
  const registry = await connected(edge, 'r1', 'registry-pass', { clientId: 'alias-commander' });
  registry.publish('$devices/d1/commands/reboot', 'now', 1, 9);
  await registry.next('puback');
  assert.equal((await drain(device))[0]?.topic, 'cmd/reboot');
  assert.equal((await drain(viaMe))[0]?.topic, '$me/device/commands/reboot');
  for (const connection of [device, viaMe, registry]) connection.end();
});

test('a member that closes before its PUBACK: its unacknowledged messages go to another member, acknowledged ones do not', async () => {
  const [silent, steady] = await members('failover', '$devices/d2/events', 2, 'failover');
  const device = await connected(edge, 'd2', 'device-pass', { clientId: 'failover-publisher' });
  for (let n = 1; n <= 10; n++) {
    device.publish('$devices/d2/events', `m${n}`, 1, n);
    await device.next('puback');
  }
  const redispatched = async () =>
    (await register.getSingleMetric('iotcore_shared_messages_redispatched_total')!.get()).values[0]?.value ?? 0;
  const before = await redispatched();
  const kept = await drain(silent!, 100, false);
  assert.equal(kept.length, 5);
  // The first is acknowledged, then the member is gone.
  silent!.send({ cmd: 'puback', messageId: kept[0]!.messageId! });
  await new Promise((resolve) => setTimeout(resolve, 50));
  silent!.end();
  await silent!.closed;
  const got = await drain(steady!, 200);
  const payloads = got.map((packet) => packet.payload.toString()).sort();
  const expected = [
    ...kept.slice(1).map((packet) => packet.payload.toString()),
    ...Array.from({ length: 10 }, (_, n) => `m${n + 1}`).filter((name) => !kept.some((packet) => packet.payload.toString() === name)),
  ].sort();
  assert.deepEqual(payloads, expected, 'the other member got its own five and the four the closed one had not acknowledged');
  assert.equal(await redispatched(), before + 4, 'counted');
  device.end();
  steady!.end();
});

test('after UNSUBSCRIBE a member gets nothing more from the group; with no member left the message goes nowhere', async () => {
  const [leaving, staying] = await members('leavers', '$devices/d1/state', 2, 'leaver');
  leaving!.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['$share/leavers/$devices/d1/state'] });
  await leaving!.next('unsuback');
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'state-publisher' });
  for (let n = 1; n <= 4; n++) {
    device.publish('$devices/d1/state', `s${n}`, 1, n);
    await device.next('puback');
  }
  assert.equal(await leaving!.receives('publish'), false);
  assert.equal((await drain(staying!)).length, 4);
  staying!.end();
  await staying!.closed;
  device.publish('$devices/d1/state', 'nobody', 1, 20);
  assert.equal(
    (await device.next('puback')).messageId,
    20,
    'with the last member gone the group is gone: a publish is acknowledged as for any topic nobody reads',
  );
  leaving!.end();
  device.end();
});

test('on a cluster bus that cannot pick one member cluster-wide (the channel bus), a shared SUBSCRIBE gets 0x80', async (t) => {
  const channelLike = await startInMemoryEdge(link, { clusterBus: { emitter: mqemitter(), onReconnect: () => undefined } });
  t.after(() => channelLike.close());
  const registry = await connected(channelLike, 'r1', 'registry-pass', { clientId: 'no-groups' });
  assert.deepEqual(
    await registry.subscribe([
      ['$share/g/$devices/+/events', 1],
      ['$devices/+/events', 1],
    ]),
    [REFUSED, 1],
  );
  registry.end();
});
