// How the CLI reaches the management API: endpoint, bearer token, TLS (plaintext only when asked).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { apiTrustedRoots } from '../common/api-trust.js';
import { parseSwitch } from '../common/config.js';
import { promiseClient, type PromiseClient } from '../common/grpc-client.js';
import { RegistryServiceClient } from '../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient } from '../generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { ImportServiceClient } from '../generated/iotcore/migration/v1/import.js';
import { LogServiceClient } from '../generated/iotcore/logs/v1/logs.js';
import { AccessTokenServiceClient, ServiceAccountServiceClient } from '../generated/iotcore/access/v1/access.js';
import { TriggerServiceClient } from '../generated/iotcore/triggers/v1/triggers.js';

export interface GlobalOptions {
  endpoint: string;
  token?: string;
  apiCa?: string;
  plaintext?: boolean;
  format: 'text' | 'json' | 'yaml';
  folderId: string;
  /** yc's --async: mutations print their operation instead of its result. */
  async?: boolean;
}

export interface Api {
  registries: PromiseClient<RegistryServiceClient>;
  devices: PromiseClient<DeviceServiceClient>;
  brokers: PromiseClient<BrokerServiceClient>;
  imports: PromiseClient<ImportServiceClient>;
  logs: PromiseClient<LogServiceClient>;
  tokens: PromiseClient<AccessTokenServiceClient>;
  serviceAccounts: PromiseClient<ServiceAccountServiceClient>;
  triggers: PromiseClient<TriggerServiceClient>;
  close(): void;
}

export function connect(options: GlobalOptions): Api {
  const plaintext = options.plaintext ?? parseSwitch(process.env.IOTCORE_API_PLAINTEXT ?? 'false');
  const channel = plaintext ? credentials.createInsecure() : credentials.createSsl(apiTrustedRoots(options.apiCa, dataDir()));
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${resolveToken(options)}`);
  const clients = [
    new RegistryServiceClient(options.endpoint, channel),
    new DeviceServiceClient(options.endpoint, channel),
    new BrokerServiceClient(options.endpoint, channel),
    new ImportServiceClient(options.endpoint, channel),
    new LogServiceClient(options.endpoint, channel),
    new AccessTokenServiceClient(options.endpoint, channel),
    new ServiceAccountServiceClient(options.endpoint, channel),
    new TriggerServiceClient(options.endpoint, channel),
  ] as const;
  const [registries, devices, brokers, imports, logs, tokens, serviceAccounts, triggers] = clients.map((client) =>
    promiseClient(client, metadata),
  );
  return {
    registries: registries as PromiseClient<RegistryServiceClient>,
    devices: devices as PromiseClient<DeviceServiceClient>,
    brokers: brokers as PromiseClient<BrokerServiceClient>,
    imports: imports as PromiseClient<ImportServiceClient>,
    logs: logs as PromiseClient<LogServiceClient>,
    tokens: tokens as PromiseClient<AccessTokenServiceClient>,
    serviceAccounts: serviceAccounts as PromiseClient<ServiceAccountServiceClient>,
    triggers: triggers as PromiseClient<TriggerServiceClient>,
    close: () => clients.forEach((client) => client.close()),
  };
}

/** --token, then IOTCORE_TOKEN (commander), then the all-in-one admin token file. */
function resolveToken(options: GlobalOptions): string {
  if (options.token) return options.token;
  const file = path.join(dataDir(), 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no API token: pass --token or set IOTCORE_TOKEN (the all-in-one server writes one to ${file})`);
  }
}

/** The all-in-one server's data dir, where its admin token and local CA are. */
function dataDir(): string {
  return process.env.IOTCORE_DATA_DIR ?? './data';
}
