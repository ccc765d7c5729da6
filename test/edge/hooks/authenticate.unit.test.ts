// hooks/authenticate.ts without sockets: the CONNACK code of each kind of CONNECT, the brake, the
// will check, the per-principal connection cap, the session store being away and the scoping of client IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRegistryLink, PacketConnection, connected, principals, startInMemoryEdge } from '../../support/in-memory-edge.js';

const link = new InMemoryRegistryLink()
  .add({ principal: principals.registry('r1'), password: 'registry-pass' })
  .add({ principal: principals.device('d1', 'r1'), password: 'device-pass' })
  .add({ principal: principals.device('d2', 'r1'), password: 'device-pass' })
  .add({ principal: principals.device('off', 'r1'), password: 'device-pass', disabled: true })
  .add({ principal: principals.broker('b1'), password: 'broker-pass' });
const edge = await startInMemoryEdge(link);
test.after(() => edge.close());

const connack = (fields: Parameters<PacketConnection['connect']>[0], remoteAddress = '127.0.0.1') =>
  new PacketConnection(edge, { remoteAddress }).connect(fields);
const password = (text: string) => Buffer.from(text);

test('the registry decides: right password 0, wrong password or unknown username 4, a refused principal 5', async () => {
  assert.equal(await connack({ clientId: 'a', username: 'd1', password: password('device-pass') }), 0);
  assert.equal(await connack({ clientId: 'b', username: 'd1', password: password('wrong') }, '10.0.1.1'), 4);
  assert.equal(await connack({ clientId: 'c', username: 'nobody', password: password('device-pass') }, '10.0.1.2'), 4);
  assert.equal(await connack({ clientId: 'd', username: 'off', password: password('device-pass') }, '10.0.1.3'), 5);
});

test('an unreachable registry gives CONNACK 3 and counts as no guess', async () => {
  link.available = false;
  try {
    for (let attempt = 0; attempt < 30; attempt++)
      assert.equal(await connack({ clientId: 'e', username: 'd2', password: password('device-pass') }, '10.0.2.1'), 3);
  } finally {
    link.available = true;
  }
  assert.equal(await connack({ clientId: 'e', username: 'd2', password: password('device-pass') }, '10.0.2.1'), 0);
});

test('while the session store cannot be written, CONNACK 3 without asking the registry; accepted once it can', async (t) => {
  let writable = false;
  const storeAway = await startInMemoryEdge(link, { persistenceWritable: () => writable });
  t.after(() => storeAway.close());
  const connect = () =>
    new PacketConnection(storeAway, { remoteAddress: '10.0.2.9' }).connect({
      clientId: 's',
      username: 'd2',
      password: password('device-pass'),
    });
  const asked = link.authentications;
  assert.equal(await connect(), 3);
  assert.equal(link.authentications, asked, 'refused before the registry was asked');
  writable = true;
  assert.equal(await connect(), 0);
});

test('the brake: six wrong passwords from one address refuse that pair without asking the registry; the owner elsewhere connects', async () => {
  const guesser = '10.0.3.1';
  for (let attempt = 0; attempt < 6; attempt++)
    assert.equal(await connack({ clientId: 'g', username: 'd2', password: password(`guess-${attempt}`) }, guesser), 4);
  const asked = link.authentications;
  assert.equal(
    await connack({ clientId: 'g', username: 'd2', password: password('device-pass') }, guesser),
    5,
    'backing off, even with the right password',
  );
  assert.equal(link.authentications, asked, 'refused before the registry was asked');
  assert.equal(await connack({ clientId: 'owner', username: 'd2', password: password('device-pass') }, '10.0.3.2'), 0);
});

test('a backend connecting many instances at once with one credential from one address is never refused', async () => {
  link.latencyMs = 20;
  try {
    const codes = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        connack({ clientId: `instance-${n}`, username: 'b1', password: password('broker-pass') }, '10.0.4.1'),
      ),
    );
    assert.deepEqual(codes, Array(40).fill(0));
  } finally {
    link.latencyMs = 0;
  }
});

test('an empty client ID: accepted with CleanSession=1, CONNACK 2 with CleanSession=0 [MQTT-3.1.3-7/8]', async () => {
  assert.equal(await connack({ clientId: '', clean: true, username: 'd1', password: password('device-pass') }), 0);
  // Written by hand: mqtt-packet refuses to generate this CONNECT.
  const field = (text: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(text)]), Buffer.from(text)]);
  const usernamePasswordNoCleanSession = 0xc0;
  const body = Buffer.concat([
    field('MQTT'),
    Buffer.from([4, usernamePasswordNoCleanSession, 0, 0]),
    field(''),
    field('d1'),
    field('device-pass'),
  ]);
  const persistent = new PacketConnection(edge);
  persistent.sendBytes(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  assert.equal((await persistent.next('connack')).returnCode, 2);
  await persistent.closed;
});

test('a will the principal could not publish itself is refused at CONNECT', async () => {
  const will = (topic: string) => ({ topic, payload: Buffer.from('gone'), qos: 0 as const, retain: false });
  assert.equal(await connack({ clientId: 'w1', username: 'd1', password: password('device-pass'), will: will('$devices/d2/events') }), 5);
  assert.equal(
    await connack({ clientId: 'w2', username: 'd1', password: password('device-pass'), will: will('$devices/d1/commands') }),
    5,
    'a device does not publish commands',
  );
  assert.equal(
    await connack({ clientId: 'w3', username: 'd1', password: password('device-pass'), will: will('$devices/d1/events/gone') }),
    0,
  );
});

test('connections per registry (with its devices) are capped; past the cap CONNACK 5, and a closed connection gives its place back', async (t) => {
  const capped = await startInMemoryEdge(link, { limits: { maxConnectionsPerRegistry: 2 } });
  t.after(() => capped.close());
  const first = await connected(capped, 'r1', 'registry-pass', { clientId: 'one' });
  await connected(capped, 'd1', 'device-pass', { clientId: 'two' });
  assert.equal(await new PacketConnection(capped).connect({ clientId: 'three', username: 'd2', password: password('device-pass') }), 5);
  first.end();
  await first.closed;
  assert.equal(await new PacketConnection(capped).connect({ clientId: 'three', username: 'd2', password: password('device-pass') }), 0);
});

test('client IDs are scoped by principal: a device and a broker using the same ID do not take each other over', async () => {
  const device = await connected(edge, 'd1', 'device-pass', { clientId: 'YCCmdLine' });
  const broker = await connected(edge, 'b1', 'broker-pass', { clientId: 'YCCmdLine' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(!device.isClosed && !broker.isClosed);
  // The same principal and ID again is a takeover: the first connection is closed.
  await connected(edge, 'd1', 'device-pass', { clientId: 'YCCmdLine' });
  await device.closed;
  assert.ok(!broker.isClosed);
});
