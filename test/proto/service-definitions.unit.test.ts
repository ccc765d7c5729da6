// Our .proto files against Yandex's own: every RPC path, and the field numbers of every message
// type both define, must match the code generated from Yandex's public protos (their Node SDK).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ours from './our-services.js';
import * as theirs from './yandex-services.js';

const pairs = Object.keys(ours.services) as Array<keyof typeof ours.services>;

for (const name of pairs) {
  test(`${name}: same methods, paths and streaming as Yandex's`, () => {
    const describe = (definition: Record<string, { path: string; requestStream: boolean; responseStream: boolean }>) =>
      Object.values(definition)
        .map((method) => `${method.path} ${method.requestStream} ${method.responseStream}`)
        .sort();
    assert.deepEqual(describe(ours.services[name]!), describe(theirs.services[name]!));
  });
}

test("messages round-trip between our encoding and Yandex's", () => {
  let checked = 0;
  for (const [name, sample] of Object.entries(ours.samples)) {
    const ourCodec = ours.codecs[name as keyof typeof ours.codecs];
    const theirCodec = theirs.codecs[name as keyof typeof theirs.codecs]!;
    const bytes = ourCodec.encode(ourCodec.fromPartial(sample)).finish();
    const decoded = theirCodec.decode(bytes);
    const back = ourCodec.decode(theirCodec.encode(decoded).finish());
    assert.deepEqual(back, ourCodec.fromPartial(sample), `${name} survives ours → Yandex → ours`);
    assert.deepEqual(Buffer.from(theirCodec.encode(decoded).finish()), Buffer.from(bytes), `${name} encodes to identical bytes`);
    checked++;
  }
  assert.ok(checked >= 10);
});
