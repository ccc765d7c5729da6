// CONNECT rates of password devices against the all-in-one process: each device of the sample
// connects over TLS and disconnects, all of them (first-time: the edge verifies each password with
// scrypt), then all of them again (reconnect: the verified-password cache answers). The sample is
// small because first-time connects are bounded by scrypt (≈ 20/s on 2 cores), not by the fleet;
// the reconnect round, about a second long, is run several times and its median taken, so that
// one garbage collection of a large heap does not decide the figure.
import mqtt from 'mqtt';
import { median } from '../statistics.js';

export interface ConnectRates {
  firstPerSecond: number;
  /** The median of the reconnect rounds. */
  reconnectPerSecond: number;
  /** Every reconnect round, in order. */
  reconnectRounds: number[];
}

export async function measureConnects(options: {
  port: number;
  ca: Buffer;
  devices: Array<{ id: string; password: string }>;
  concurrency: number;
  reconnectRounds: number;
}): Promise<ConnectRates> {
  const round = async (): Promise<number> => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.devices.length) {
          const device = options.devices[next++]!;
          const client = await mqtt.connectAsync(`mqtts://localhost:${options.port}`, {
            ca: options.ca,
            username: device.id,
            password: device.password,
            clientId: device.id,
            reconnectPeriod: 0,
            connectTimeout: 120_000,
            protocolVersion: 4,
          });
          await client.endAsync();
        }
      }),
    );
    return options.devices.length / ((performance.now() - started) / 1000);
  };
  const firstPerSecond = await round();
  const reconnectRounds: number[] = [];
  for (let i = 0; i < options.reconnectRounds; i++) reconnectRounds.push(await round());
  return { firstPerSecond, reconnectPerSecond: median(reconnectRounds), reconnectRounds };
}
