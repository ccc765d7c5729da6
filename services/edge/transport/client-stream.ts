// The stream aedes reads a connection from and writes it to. Reads are the socket's bytes, each
// read checked by the packet-size guard first (a read it refuses is never passed on: the
// connection is closed). Writes go to the socket one batch at a time: while a write is on its way
// to the kernel, the next packets (mqtt-packet writes one in several pieces) wait here and then
// leave together, so a subscriber receiving thousands of messages a second gets a few large TLS
// records instead of a record per piece (`writev`/`writeBuffer` were 17% of CPU time in the
// fan-in profile with a per-piece pass-through stream).
import { Duplex } from 'node:stream';
import type net from 'node:net';
import type { PacketSizeGuard } from '../limits/packet-size-guard.js';

export class ClientStream extends Duplex {
  constructor(
    private readonly socket: net.Socket,
    guard: PacketSizeGuard,
    onOversize: (reason: string) => void,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      const refused = guard.check(chunk);
      if (refused !== undefined) {
        onOversize(refused);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.once('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
