import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from '../../../services/edge/limits/packet-size-guard.js';

const publish = (bytes: number) =>
  mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes, 1), qos: 0, dup: false, retain: false });

/** The bytes the guard lets through (every read up to the first it refuses) and why it refused. */
function feed(limit: number, chunks: Buffer[]): { passed: Buffer; violation?: string } {
  const guard = new PacketSizeGuard(limit);
  const passed: Buffer[] = [];
  for (const chunk of chunks) {
    const violation = guard.check(chunk);
    if (violation !== undefined) return { passed: Buffer.concat(passed), violation };
    passed.push(chunk);
  }
  return { passed: Buffer.concat(passed) };
}

test('packets within the limit pass unchanged however the stream is split', () => {
  const stream = Buffer.concat([publish(10), publish(200), mqttPacket.generate({ cmd: 'pingreq' }), publish(130)]);
  for (let split = 1; split < stream.length; split++) {
    const result = feed(300, [stream.subarray(0, split), stream.subarray(split)]);
    assert.equal(result.violation, undefined, `split at ${split}`);
    assert.deepEqual(result.passed, stream);
  }
});

test('an oversized packet is refused from its header, wherever the header is split', () => {
  const big = publish(5000);
  for (let split = 1; split < 6; split++) {
    const result = feed(4096, [publish(10), big.subarray(0, split), big.subarray(split)]);
    assert.match(result.violation ?? '', /exceeds the limit of 4096/);
    assert.ok(result.passed.length < 200, 'the body of the oversized packet is not passed on');
  }
});

test('a remaining length longer than four bytes is malformed', () => {
  const result = feed(1 << 28, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
  assert.match(result.violation ?? '', /malformed/);
});
