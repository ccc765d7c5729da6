import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { test } from 'node:test';
import '../../services/common/quiet-ip-servername-warning.js';

/** The codes of the warnings emitted while `act` runs and for a moment after. */
async function warningsDuring(act: () => void): Promise<unknown[]> {
  const codes: unknown[] = [];
  const listener = (warning: Error & { code?: string }) => codes.push(warning.code);
  process.on('warning', listener);
  try {
    act();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('warning', listener);
  }
  return codes;
}

test('an IP address as the TLS server name (as grpc-js passes it) warns nothing', async () => {
  const server = net.createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const codes = await warningsDuring(() => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: '127.0.0.1' });
    socket.on('error', () => undefined);
  });
  server.close();
  assert.deepEqual(codes, []);
});

test('every other warning is still emitted, in each form emitWarning takes', async () => {
  const coded = Object.assign(new Error('as an Error'), { code: 'TEST0002' });
  const codes = await warningsDuring(() => {
    process.emitWarning('positional', 'DeprecationWarning', 'TEST0001');
    process.emitWarning(coded);
    process.emitWarning('options', { type: 'Warning', code: 'TEST0003' });
    process.emitWarning('uncoded');
  });
  assert.deepEqual(codes, ['TEST0001', 'TEST0002', 'TEST0003', undefined]);
});
