// CONNECT rates of password devices against the all-in-one process: each device of the sample
// connects over TLS and disconnects, all of them (first-time: the edge verifies each password with
// scrypt), then all of them again (reconnect: the verified-password cache answers). The sample is
// small because first-time connects are bounded by scrypt (≈ 20/s on 2 cores), not by the fleet.
import mqtt from 'mqtt';

export interface ConnectRates {
  firstPerSecond: number;
  reconnectPerSecond: number;
}

export async function measureConnects(options: {
  port: number;
  ca: Buffer;
  devices: Array<{ id: string; password: string }>;
  concurrency: number;
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
  const reconnectPerSecond = await round();
  return { firstPerSecond, reconnectPerSecond };
}
