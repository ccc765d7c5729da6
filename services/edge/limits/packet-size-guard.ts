// MQTT packets have no size limit in aedes/mqtt-packet (the parser buffers up to 256 MB), so the
// edge reads each fixed header itself and drops a connection as soon as a packet announces more
// than the limit — before its body is buffered. Bytes pass through unchanged; no copying.
import { Transform, type TransformCallback } from 'node:stream';

export class PacketSizeGuard extends Transform {
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly onViolation: (reason: string) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#state === 'body') {
        const take = Math.min(this.#bodyLeft, chunk.length - offset);
        this.#bodyLeft -= take;
        offset += take;
        if (this.#bodyLeft === 0) this.#state = 'type';
        continue;
      }
      const byte = chunk[offset++]!;
      if (this.#state === 'type') {
        this.#state = 'length';
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes++;
      if (byte & 0x80) {
        if (this.#lengthBytes === 4) return this.#reject('malformed remaining length', callback);
        continue;
      }
      const total = 1 + this.#lengthBytes + this.#length;
      if (total > this.maxPacketBytes)
        return this.#reject(`packet of ${total} bytes exceeds the limit of ${this.maxPacketBytes}`, callback);
      this.#bodyLeft = this.#length;
      this.#state = this.#length === 0 ? 'type' : 'body';
    }
    callback(null, chunk);
  }

  #reject(reason: string, callback: TransformCallback): void {
    this.onViolation(reason);
    callback(new Error(reason));
  }
}
