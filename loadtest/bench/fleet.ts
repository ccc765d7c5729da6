// The device fleet of the benchmark: one registry and N devices, each with its own password,
// created through the management API of a running iotcore (as a user migrating a fleet would).
// Creating a password costs one slow hash, so a fleet is kept in its data dir (under .tools/bench/)
// and reused by later runs.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { promiseClient } from '../../services/common/grpc-client.js';
import { RegistryServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Registry } from '../../services/generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../../services/generated/yandex/cloud/iot/devices/v1/device.js';
import { createdId } from '../../test/registry/api/harness.js';
import { freePort } from '../../test/support/ports.js';
import { startIotcore, type TlsFiles } from './brokers.js';

export interface Fleet {
  dataDir: string;
  token: string;
  registry: { id: string; password: string };
  devices: Array<{ id: string; password: string }>;
}

const CREATE_CONCURRENCY = 8;

/** The fleet of `size` devices in `dataDir`, created on first use. */
export async function ensureFleet(dataDir: string, size: number, tls: TlsFiles, log: (line: string) => void): Promise<Fleet> {
  const file = path.join(dataDir, 'fleet.json');
  if (existsSync(file)) {
    const fleet = JSON.parse(await readFile(file, 'utf8')) as Fleet;
    // The directory it is read from, not the one recorded: a work dir may have been moved.
    if (fleet.devices.length >= size) return { ...fleet, dataDir, devices: fleet.devices.slice(0, size) };
  }
  await mkdir(dataDir, { recursive: true });
  log(`provisioning a fleet of ${size} devices through the management API (one slow password hash each; kept in ${dataDir})`);
  const apiPort = await freePort();
  const broker = await startIotcore({ dataDir, apiPort, tls });
  try {
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    // The API's default TLS: a certificate from the local CA in the data dir.
    const channel = credentials.createSsl(await readFile(path.join(dataDir, 'tls/ca.pem')));
    const fleet = { dataDir, token, ...(await createFleet(`127.0.0.1:${apiPort}`, token, channel, size, log)) };
    await writeFile(file, JSON.stringify(fleet));
    return fleet;
  } finally {
    await broker.stop();
  }
}

/** Creates a registry and `size` devices with passwords through the management API at `endpoint`. */
export async function createFleet(
  endpoint: string,
  token: string,
  channel: ChannelCredentials,
  size: number,
  log: (line: string) => void,
): Promise<Pick<Fleet, 'registry' | 'devices'>> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const registries = new RegistryServiceClient(endpoint, channel);
  const devicesClient = new DeviceServiceClient(endpoint, channel);
  try {
    const registryApi = promiseClient(registries, metadata, 60_000);
    const devicesApi = promiseClient(devicesClient, metadata, 60_000);
    const registryPassword = 'Bench-Registry-Passw0rd!';
    const registryId = createdId(
      await registryApi.create({
        folder_id: 'bench',
        name: `bench-${Date.now()}`,
        description: '',
        labels: {},
        certificates: [],
        password: registryPassword,
        log_options: undefined,
      }),
      Registry,
    );
    const devices: Fleet['devices'] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < size) {
          const index = next++;
          const password = `Bench-Device-${index}-Passw0rd!`;
          const id = createdId(
            await devicesApi.create({
              registry_id: registryId,
              name: `device-${index}`,
              description: '',
              labels: {},
              certificates: [],
              topic_aliases: {},
              password,
            }),
            Device,
          );
          devices[index] = { id, password };
          if (index % 500 === 499) log(`  ${index + 1} devices`);
        }
      }),
    );
    return { registry: { id: registryId, password: registryPassword }, devices };
  } finally {
    registries.close();
    devicesClient.close();
  }
}
