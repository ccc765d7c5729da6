// Starts the registry API in-process on a free port with a fresh store, and gives tests clients
// that send the admin token.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { pino } from 'pino';
import { openStore } from '../../../services/registry/store/open.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';
import { startRegistryApi, type RunningRegistryApi } from '../../../services/registry/server.js';
import type { RegistryStore } from '../../../services/registry/store/contract.js';
import type { Quotas } from '../../../services/registry/resources/context.js';
import type { Operation } from '../../../services/generated/yandex/cloud/operation/operation.js';
import type { AuditEvent } from '../../../services/registry/api/audit.js';

export const ADMIN_TOKEN = 'test-admin-token';

export interface ApiHarness {
  api: RunningRegistryApi;
  store: RegistryStore;
  address: string;
  metadata: Metadata;
  channel: ReturnType<typeof credentials.createInsecure>;
  /** The audit events of the calls made so far. */
  audit: AuditEvent[];
  close(): Promise<void>;
}

/** `mongoUrl`: the MongoDB store in a database of its own instead of the embedded one. */
export async function startApi(options: { quotas?: Partial<Quotas>; mongoUrl?: string } = {}): Promise<ApiHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-api-'));
  const store = await openStore({ dataDir, mongoUrl: options.mongoUrl, mongoDb: `iotcore-api-${path.basename(dataDir)}` });
  const logStore = await openEmbeddedLogStore(path.join(dataDir, 'logs'));
  const audit: AuditEvent[] = [];
  const api = await startRegistryApi({
    store,
    logStore,
    listen: '127.0.0.1:0',
    adminTokens: [ADMIN_TOKEN],
    idPrefix: 'are',
    quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0, ...options.quotas },
    logger: pino({ level: 'silent' }),
    audit: (event) => audit.push(event),
  });
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return {
    api,
    store,
    address: api.address,
    metadata,
    channel: credentials.createInsecure(),
    audit,
    close: async () => {
      await api.close();
      await store.close();
      await logStore.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Callback<Res> = (error: Error | null, response: Res) => void;

/** Calls a grpc-js unary method (ours or Yandex's SDK client) and returns a promise. */
export function call<Req, Res>(client: object, method: string, request: Req, metadata: Metadata): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as Record<string, (req: Req, md: Metadata, cb: Callback<Res>) => void>)[method]!;
    fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The ID of the resource a done Create operation returned (`type` decodes its response). */
export function createdId(operation: Operation, type: { decode(bytes: Uint8Array): { id: string } }): string {
  if (operation.result?.$case !== 'response') throw new Error('operation without a response');
  return type.decode(operation.result.value.value).id;
}
