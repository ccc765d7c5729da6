// Reads a Yandex IoT Core folder through Yandex's public gRPC API (the same services iotcore
// serves): registries, devices in the FULL view, brokers, certificates and password IDs, page by
// page, each call retried with backoff on transient statuses.
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import pRetry from 'p-retry';
import { RegistryServiceClient } from '../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../generated/yandex/cloud/iot/devices/v1/device_service.js';
import { DeviceView } from '../generated/yandex/cloud/iot/devices/v1/device.js';
import { BrokerServiceClient } from '../generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { promiseClient } from '../common/grpc-client.js';
import type { CredentialSnapshot, FolderSnapshot } from './yandex-snapshot.js';

export const YANDEX_DEVICES_ENDPOINT = 'iot-devices.api.cloud.yandex.net:443';
export const YANDEX_BROKER_ENDPOINT = 'iot-broker.api.cloud.yandex.net:443';

export interface YandexApiOptions {
  /** RegistryService and DeviceService. */
  devicesEndpoint: string;
  /** BrokerService. */
  brokerEndpoint: string;
  /** IAM token (`yc iam create-token`). */
  token: string;
  folderId: string;
  /** Plaintext channel: only for testing against a local stand-in. */
  insecure?: boolean;
  /** PEM roots to trust instead of the system's. */
  caPem?: Buffer;
  /** Called as resources are found (total) and read (done). */
  onProgress?: (progress: { done: number; total: number }) => void;
  retries?: number;
}

const PAGE_SIZE = 1000;
const CALL_DEADLINE_MS = 30_000;
const TRANSIENT = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.ABORTED, status.INTERNAL]);

export async function readFolderFromApi(options: YandexApiOptions): Promise<FolderSnapshot> {
  const channel: ChannelCredentials = options.insecure ? credentials.createInsecure() : credentials.createSsl(options.caPem ?? null);
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${options.token}`);
  const clients = {
    registries: new RegistryServiceClient(options.devicesEndpoint, channel),
    devices: new DeviceServiceClient(options.devicesEndpoint, channel),
    brokers: new BrokerServiceClient(options.brokerEndpoint, channel),
  };
  const registryApi = promiseClient(clients.registries, metadata, CALL_DEADLINE_MS);
  const deviceApi = promiseClient(clients.devices, metadata, CALL_DEADLINE_MS);
  const brokerApi = promiseClient(clients.brokers, metadata, CALL_DEADLINE_MS);
  const call = <T>(what: string, fn: () => Promise<T>) => withRetries(what, fn, options.retries ?? 5);
  const progress = { done: 0, total: 0 };
  const found = (count: number) => {
    progress.total += count;
    options.onProgress?.(progress);
  };
  const read = () => {
    progress.done += 1;
    options.onProgress?.(progress);
  };

  try {
    const registries = await pages(
      'registries',
      (page_token) =>
        call('RegistryService.List', () => registryApi.list({ folder_id: options.folderId, page_size: PAGE_SIZE, page_token })).then(
          (response) => ({ items: response.registries, next: response.next_page_token }),
        ),
      found,
    );
    const brokers = await pages(
      'brokers',
      (page_token) =>
        call('BrokerService.List', () => brokerApi.list({ folder_id: options.folderId, page_size: PAGE_SIZE, page_token })).then(
          (response) => ({ items: response.brokers, next: response.next_page_token }),
        ),
      found,
    );

    const snapshot: FolderSnapshot = { registries: [], brokers: [] };
    for (const registry of registries) {
      const registryCredentials = await credentialsOf(
        () =>
          call('RegistryService.ListCertificates', () => registryApi.listCertificates({ registry_id: registry.id })).then(
            (r) => r.certificates,
          ),
        () => call('RegistryService.ListPasswords', () => registryApi.listPasswords({ registry_id: registry.id })).then((r) => r.passwords),
      );
      read();
      const devices = await pages(
        'devices',
        (page_token) =>
          call('DeviceService.List', () =>
            deviceApi.list({
              id: { $case: 'registry_id', value: registry.id },
              page_size: PAGE_SIZE,
              page_token,
              device_view: DeviceView.FULL,
            }),
          ).then((response) => ({ items: response.devices, next: response.next_page_token })),
        found,
      );
      const deviceSnapshots = [];
      for (const device of devices) {
        deviceSnapshots.push({
          device,
          credentials: await credentialsOf(
            () =>
              call('DeviceService.ListCertificates', () => deviceApi.listCertificates({ device_id: device.id })).then(
                (r) => r.certificates,
              ),
            () => call('DeviceService.ListPasswords', () => deviceApi.listPasswords({ device_id: device.id })).then((r) => r.passwords),
          ),
        });
        read();
      }
      const exports = await call('RegistryService.ListDataStreamExports', () =>
        registryApi.listDataStreamExports({ registry_id: registry.id }),
      ).then((r) => r.data_stream_exports);
      snapshot.registries.push({ registry, credentials: registryCredentials, devices: deviceSnapshots, exports });
    }
    for (const broker of brokers) {
      snapshot.brokers.push({
        broker,
        credentials: await credentialsOf(
          () =>
            call('BrokerService.ListCertificates', () => brokerApi.listCertificates({ broker_id: broker.id })).then((r) => r.certificates),
          () => call('BrokerService.ListPasswords', () => brokerApi.listPasswords({ broker_id: broker.id })).then((r) => r.passwords),
        ),
      });
      read();
    }
    return snapshot;
  } finally {
    Object.values(clients).forEach((client) => client.close());
  }
}

async function pages<T>(
  what: string,
  fetch: (pageToken: string) => Promise<{ items: T[]; next: string }>,
  found: (count: number) => void,
): Promise<T[]> {
  const items: T[] = [];
  let token = '';
  const seen = new Set<string>();
  do {
    const page = await fetch(token);
    items.push(...page.items);
    found(page.items.length);
    if (page.next && seen.has(page.next)) throw new Error(`the ${what} list repeats page token ${page.next}`);
    seen.add(page.next);
    token = page.next;
  } while (token);
  return items;
}

async function credentialsOf(
  certificates: () => Promise<Array<{ fingerprint: string; certificate_data: string; created_at?: Date }>>,
  passwords: () => Promise<Array<{ id: string; created_at?: Date }>>,
): Promise<CredentialSnapshot> {
  return {
    certificates: (await certificates()).map(({ fingerprint, certificate_data, created_at }) => ({
      fingerprint,
      certificate_data,
      created_at,
    })),
    passwords: (await passwords()).map(({ id, created_at }) => ({ id, created_at })),
  };
}

function withRetries<T>(what: string, fn: () => Promise<T>, retries: number): Promise<T> {
  return pRetry(fn, {
    retries,
    minTimeout: 500,
    maxTimeout: 10_000,
    factor: 2,
    shouldRetry: ({ error }) => TRANSIENT.has((error as Partial<ServiceError>).code as status),
  }).catch((error: unknown) => {
    const grpc = error as Partial<ServiceError>;
    throw new Error(
      `${what} failed: ${grpc.details ?? (error as Error).message}${grpc.code !== undefined ? ` (gRPC status ${grpc.code})` : ''}`,
    );
  });
}
