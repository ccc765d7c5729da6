import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from '../../../services/edge/limits/packet-size-guard.js';

const publish = (bytes: number) =>
  mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes, 1), qos: 0, dup: false, retain: false });

function feed(limit: number, chunks: Buffer[]): Promise<{ passed: Buffer; violation?: string }> {
  return new Promise((resolve) => {
    let violation: string | undefined;
    const guard = new PacketSizeGuard(limit, (reason) => (violation = reason));
    const out: Buffer[] = [];
    guard.on('data', (chunk: Buffer) => out.push(chunk));
    guard.on('error', () => resolve({ passed: Buffer.concat(out), violation }));
    guard.on('end', () => resolve({ passed: Buffer.concat(out), violation }));
    for (const chunk of chunks) guard.write(chunk);
    guard.end();
  });
}

test('packets within the limit pass unchanged however the stream is split', async () => {
  const stream = Buffer.concat([publish(10), publish(200), mqttPacket.generate({ cmd: 'pingreq' }), publish(130)]);
  for (let split = 1; split < stream.length; split++) {
    const result = await feed(300, [stream.subarray(0, split), stream.subarray(split)]);
    assert.equal(result.violation, undefined, `split at ${split}`);
    assert.deepEqual(result.passed, stream);
  }
});

test('an oversized packet is refused from its header, wherever the header is split', async () => {
  const big = publish(5000);
  for (let split = 1; split < 6; split++) {
    const result = await feed(4096, [publish(10), big.subarray(0, split), big.subarray(split)]);
    assert.match(result.violation ?? '', /exceeds the limit of 4096/);
    assert.ok(result.passed.length < 200, 'the body of the oversized packet is not passed on');
  }
});

test('a remaining length longer than four bytes is malformed', async () => {
  const result = await feed(1 << 28, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
  assert.match(result.violation ?? '', /malformed/);
});
