// What every scenario shares: the fleet the runner provisioned (registry and devices with their
// passwords), the broker's URL and CA, clients for a device or the registry, and payloads that
// carry their send time for end-to-end latency.
import { Client } from 'k6/x/mqtt';

interface Fleet {
  registry: { id: string; password: string };
  devices: Array<{ id: string; password: string }>;
}

export const fleet = JSON.parse(open(__ENV.IOTCORE_FLEET)) as Fleet;
const ca = open(__ENV.IOTCORE_CA);
export const url = __ENV.IOTCORE_MQTT_URL;
export const devices = Number(__ENV.IOTCORE_DEVICES ?? fleet.devices.length);
export const duration = __ENV.IOTCORE_DURATION ?? '30s';
/** Messages per second of each device. */
export const ratePerDevice = Number(__ENV.IOTCORE_RATE ?? '1');

export function deviceClient(index: number, clientId = `k6-device-${index}`): Client {
  const device = fleet.devices[index % fleet.devices.length]!;
  return new Client({ url, ca, clientId, username: device.id, password: device.password, keepaliveSeconds: 60 });
}

export function registryClient(clientId: string): Client {
  return new Client({ url, ca, clientId, username: fleet.registry.id, password: fleet.registry.password, keepaliveSeconds: 60 });
}

export function deviceId(index: number): string {
  return fleet.devices[index % fleet.devices.length]!.id;
}

export function seconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`duration "${text}": use e.g. 500ms, 30s or 2m`);
  return Number(match[1]) * ({ ms: 0.001, s: 1, m: 60 } as Record<string, number>)[match[2]!]!;
}
