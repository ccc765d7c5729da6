// MQTT packets have no size limit in aedes/mqtt-packet (the parser buffers up to 256 MB), so the
// edge reads each fixed header itself and drops a connection as soon as a packet announces more
// than the limit — before its body is buffered. It only looks at the bytes: the connection's
// stream passes them on unchanged (a Transform stream here cost a stream hop on every read).

export class PacketSizeGuard {
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Follows the packet boundaries through the next bytes read; the reason to refuse them, if any. */
  check(chunk: Buffer): string | undefined {
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
        if (this.#lengthBytes === 4) return 'malformed remaining length';
        continue;
      }
      const total = 1 + this.#lengthBytes + this.#length;
      if (total > this.maxPacketBytes) return `packet of ${total} bytes exceeds the limit of ${this.maxPacketBytes}`;
      this.#bodyLeft = this.#length;
      this.#state = this.#length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}
