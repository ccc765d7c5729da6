// How the CLI reaches the management API: endpoint, bearer token, optional TLS, and a promise
// wrapper over grpc-js unary calls.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { credentials, Metadata, type CallOptions, type Client, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { RegistryServiceClient } from '../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DeviceServiceClient } from '../generated/yandex/cloud/iot/devices/v1/device_service.js';
import { BrokerServiceClient } from '../generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { ImportServiceClient } from '../generated/iotcore/migration/v1/import.js';

export interface GlobalOptions {
  endpoint: string;
  token?: string;
  apiCa?: string;
  format: 'text' | 'json' | 'yaml';
  folderId: string;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** A grpc-js client whose unary methods return promises. */
export type PromiseClient<C> = {
  [K in keyof C]: C[K] extends (request: infer Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<infer Res>) => ClientUnaryCall
    ? (request: Req) => Promise<Res>
    : never;
};

export interface Api {
  registries: PromiseClient<RegistryServiceClient>;
  devices: PromiseClient<DeviceServiceClient>;
  brokers: PromiseClient<BrokerServiceClient>;
  imports: PromiseClient<ImportServiceClient>;
  close(): void;
}

export function connect(options: GlobalOptions): Api {
  const channel = options.apiCa ? credentials.createSsl(readFileSync(options.apiCa)) : credentials.createInsecure();
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${resolveToken(options)}`);
  const clients = [
    new RegistryServiceClient(options.endpoint, channel),
    new DeviceServiceClient(options.endpoint, channel),
    new BrokerServiceClient(options.endpoint, channel),
    new ImportServiceClient(options.endpoint, channel),
  ] as const;
  const [registries, devices, brokers, imports] = clients.map((client) => promiseClient(client, metadata));
  return {
    registries: registries as PromiseClient<RegistryServiceClient>,
    devices: devices as PromiseClient<DeviceServiceClient>,
    brokers: brokers as PromiseClient<BrokerServiceClient>,
    imports: imports as PromiseClient<ImportServiceClient>,
    close: () => clients.forEach((client) => client.close()),
  };
}

/** Wraps a grpc-js client; `deadlineMs` bounds each call (none by default). */
export function promiseClient<C extends Client>(client: C, metadata: Metadata, deadlineMs?: number): PromiseClient<C> {
  return new Proxy(client, {
    get(target, property) {
      const method = Reflect.get(target, property) as unknown;
      if (typeof method !== 'function') return method;
      return (request: unknown) =>
        new Promise((resolve, reject) => {
          const options: Partial<CallOptions> = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
          method.call(target, request, metadata, options, (error: ServiceError | null, response: unknown) =>
            error ? reject(error) : resolve(response));
        });
    },
  }) as unknown as PromiseClient<C>;
}

/** --token, then IOTCORE_TOKEN (commander), then the all-in-one admin token file. */
function resolveToken(options: GlobalOptions): string {
  if (options.token) return options.token;
  const file = path.join(process.env.IOTCORE_DATA_DIR ?? './data', 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no API token: pass --token or set IOTCORE_TOKEN (the all-in-one server writes one to ${file})`);
  }
}
