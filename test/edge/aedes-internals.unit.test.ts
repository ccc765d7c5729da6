// The fence around aedes' internals: the start-up check passes on the pinned aedes and names what
// is missing when an internal iotcore relies on has changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { duplexPair } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { aedesInternals, checkAedesShape } from '../../services/edge/aedes/internals.js';

test('the pinned aedes has every internal iotcore uses', async () => {
  const broker = await Aedes.createBroker();
  try {
    assert.doesNotThrow(() => checkAedesShape(broker));
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});

test('a changed internal fails start-up with a message naming it', async () => {
  const broker = await Aedes.createBroker();
  const persistence = (broker as unknown as { persistence: { delWill?: unknown } }).persistence;
  const delWill = persistence.delWill;
  const handle = broker.handle.bind(broker);
  try {
    persistence.delWill = undefined;
    // A client whose parser moved: aedes renamed `_parser`.
    broker.handle = (stream) => {
      const client = handle(stream) as unknown as Record<string, unknown>;
      client.parser = client._parser;
      delete client._parser;
      return client as never;
    };
    assert.throws(
      () => checkAedesShape(broker),
      (error: Error) => {
        assert.match(error.message, /aedes internals iotcore relies on have changed/);
        assert.match(error.message, /broker\.persistence\.delWill\(\)/);
        assert.match(error.message, /client\._parser/);
        assert.doesNotMatch(error.message, /client\.clean|client\._will/);
        return true;
      },
    );
  } finally {
    persistence.delWill = delWill;
    broker.handle = handle;
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});

test('with the counter check disabled, messages whose broker counters go back are delivered (their order across edges is not theirs)', {
  timeout: 10_000,
}, async () => {
  const broker = await Aedes.createBroker();
  let connected: Client | undefined;
  broker.authenticate = (client, _username, _password, done) => {
    aedesInternals.disableCounterDedup(client);
    connected = client;
    done(null, true);
  };
  const [serverSide, clientSide] = duplexPair();
  broker.handle(serverSide);
  const received: string[] = [];
  const parser = mqttPacket.parser();
  parser.on('packet', (packet) => {
    if (packet.cmd === 'publish') received.push(packet.payload.toString());
    if (packet.cmd === 'suback') clientSide.emit('suback');
  });
  clientSide.on('data', (chunk: Buffer) => parser.parse(chunk));
  const publish = (brokerCounter: number, payload: string) =>
    new Promise<void>((resolve) =>
      broker.publish(
        {
          cmd: 'publish',
          topic: 't',
          payload: Buffer.from(payload),
          qos: 0,
          retain: false,
          dup: false,
          brokerId: 'peer-edge',
          brokerCounter,
        } as never,
        () => resolve(),
      ),
    );
  try {
    const subacked = once(clientSide, 'suback');
    clientSide.write(
      mqttPacket.generate({ cmd: 'connect', clientId: 'c', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0 }),
    );
    clientSide.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't', qos: 0 }] }));
    await subacked;
    for (const [counter, payload] of [
      [5, 'a'],
      [3, 'b'],
      [3, 'c'],
      [9, 'd'],
    ] as const)
      await publish(counter, payload);
    // What aedes does when a peer broker is born again: the check starts over for that broker.
    delete (connected as unknown as { duplicates: Record<string, unknown> }).duplicates['peer-edge'];
    await publish(1, 'e');
    // Passes either check: once it is here, everything before it has been delivered or dropped.
    await publish(100, 'end');
    while (received.at(-1) !== 'end') await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(received, ['a', 'b', 'c', 'd', 'e', 'end']);
  } finally {
    clientSide.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});
