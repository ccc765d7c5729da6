// The broker's end of an in-memory MQTT connection, standing in for a socket: the test pushes the
// client's bytes in, and the MQTT packets the broker writes back are parsed as they come.
import { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';

export class MemoryConnection extends Duplex {
  readonly received: mqttPacket.Packet[] = [];
  readonly #parser = mqttPacket.parser({ protocolVersion: 4 });

  constructor() {
    // Like a TCP socket: when the client hangs up, the connection ends both ways.
    super({ allowHalfOpen: false });
    this.#parser.on('packet', (packet) => {
      this.received.push(packet);
      this.emit('packet', packet);
    });
    this.#parser.on('error', (error) => this.emit('unparsable', error));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#parser.parse(chunk);
    callback();
  }

  /** The client hangs up. */
  hangUp(): void {
    this.push(null);
  }

  /** Resolves once the broker has closed the connection; rejects after `ms`. */
  whenClosed(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return within(ms, `connection still open ${ms} ms later`, (resolve) => this.once('close', resolve));
  }

  /** The next packet the broker sends matching `accept` (or one already received); rejects after `ms`. */
  packet(accept: (packet: mqttPacket.Packet) => boolean, ms: number, what: string): Promise<mqttPacket.Packet> {
    const seen = this.received.find(accept);
    if (seen) return Promise.resolve(seen);
    return within(ms, `no ${what} within ${ms} ms; received ${JSON.stringify(this.received.map((packet) => packet.cmd))}`, (resolve) => {
      const listener = (packet: mqttPacket.Packet) => {
        if (!accept(packet)) return;
        this.off('packet', listener);
        resolve(packet);
      };
      this.on('packet', listener);
    });
  }
}

function within<T>(ms: number, failure: string, wait: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(failure)), ms);
    wait((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
