// The connection's stream as aedes writes to it: the pieces mqtt-packet writes while corked reach
// the socket as one write, in order, and backpressure still reaches the writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from '../../../services/edge/limits/packet-size-guard.js';
import { ClientStream } from '../../../services/edge/transport/client-stream.js';

/** A ClientStream over one end of a loopback TCP connection; the socket writes it made and what the peer read. */
async function connected(t: { after(fn: () => unknown): void }) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [net.Socket];
  const socketWrites: number[] = [];
  const write = socket.write.bind(socket) as (chunk: Buffer, callback?: (error?: Error | null) => void) => boolean;
  socket.write = ((chunk: Buffer, callback?: (error?: Error | null) => void) => {
    socketWrites.push(chunk.length);
    return write(chunk, callback);
  }) as typeof socket.write;
  const received: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  const stream = new ClientStream(socket, new PacketSizeGuard(1 << 20), () => undefined);
  t.after(() => {
    peer.destroy();
    stream.destroy();
    server.close();
  });
  const receivedBytes = async (length: number) => {
    while (Buffer.concat(received).length < length) await once(peer, 'data');
    return Buffer.concat(received);
  };
  return { stream, socketWrites, receivedBytes };
}

test('a packet mqtt-packet writes in pieces reaches the socket as one write', { timeout: 5000 }, async (t) => {
  const { stream, socketWrites, receivedBytes } = await connected(t);
  const puback = { cmd: 'puback', messageId: 7 } as const;
  const publish = { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 1, messageId: 8, retain: false, dup: false } as const;
  assert.ok(mqttPacket.writeToStream(puback, stream));
  assert.ok(mqttPacket.writeToStream(publish, stream));
  const expected = Buffer.concat([mqttPacket.generate(puback), mqttPacket.generate(publish)]);
  assert.deepEqual(await receivedBytes(expected.length), expected);
  assert.deepEqual(socketWrites, [expected.length]);
});

test('a write with a callback while corked goes after the pieces before it, and end() sends what is held', { timeout: 5000 }, async (t) => {
  const { stream, receivedBytes } = await connected(t);
  stream.cork();
  stream.write(Buffer.from('a'));
  stream.write(Buffer.from('b'));
  let called = false;
  stream.write(Buffer.from('c'), () => {
    called = true;
  });
  stream.write(Buffer.from('d'));
  stream.end();
  assert.equal((await receivedBytes(4)).toString(), 'abcd');
  assert.ok(called);
});

test('past the high-water mark the writer is told to wait, and drain follows', { timeout: 5000 }, async (t) => {
  const { stream, receivedBytes } = await connected(t);
  const piece = Buffer.alloc(1024, 1);
  stream.cork();
  let accepted = 0;
  while (stream.write(piece)) accepted++;
  assert.equal(
    accepted + 1,
    Math.ceil(stream.writableHighWaterMark / piece.length),
    'false once the mark is reached, as an uncorked stream says',
  );
  const drained = once(stream, 'drain');
  process.nextTick(() => stream.uncork());
  await drained;
  assert.equal((await receivedBytes((accepted + 1) * piece.length)).length, (accepted + 1) * piece.length);
});
