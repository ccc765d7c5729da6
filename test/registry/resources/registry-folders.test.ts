// The registry service's memory of registry folders, wired as the server wires it: a registry deleted
// and imported again under the same ID into another folder (as `import yandex` can) is checked
// against its new folder, not the one remembered before the deletion.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../../services/registry/store/open.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';
import { registryServices, type RegistryServices } from '../../../services/registry/server.js';
import type { RegistryStore } from '../../../services/registry/store/contract.js';
import type { DeviceRecord, RegistryRecord } from '../../../services/registry/store/records.js';
import { importDevice, importRegistry } from '../../../services/registry/resources/imports.js';
import { deleteRegistry } from '../../../services/registry/resources/registries.js';
import { deleteDevice } from '../../../services/registry/resources/devices.js';
import { deviceFolder } from '../../../services/registry/api/resource-folders.js';

let dataDir: string;
let store: RegistryStore;
let registry: RegistryServices;
let closeLogs: () => Promise<void>;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-folders-'));
  store = await openStore({ dataDir, mongoDb: 'unused' });
  const logStore = await openEmbeddedLogStore(path.join(dataDir, 'logs'));
  closeLogs = () => logStore.close();
  registry = registryServices({
    store,
    logStore,
    adminTokens: ['unit-token'],
    idPrefix: 'are',
    quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
    logger: pino({ level: 'silent' }),
    audit: () => {},
  });
});
after(async () => {
  registry.close();
  await closeLogs();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const REGISTRY_ID = 'arefoldersregistry01';
const none = { certificates: [], passwords: [] };
const registryIn = (folder_id: string): RegistryRecord => ({
  id: REGISTRY_ID,
  folder_id,
  created_at: new Date('2026-01-01T00:00:00Z'),
  name: 'moved',
  description: '',
  labels: {},
  status: 'ACTIVE',
  log_options: undefined,
});
const device = (id: string): DeviceRecord => ({
  id,
  registry_id: REGISTRY_ID,
  created_at: new Date('2026-01-01T00:00:00Z'),
  name: id,
  description: '',
  labels: {},
  monitoring: {},
  topic_aliases: {},
});

test('a registry deleted and imported again into another folder is checked against the new folder', async () => {
  const { ctx } = registry;
  await importRegistry(ctx, registryIn('folder-before'), none, false);
  await importDevice(ctx, device('arefoldersdevice0001'), none, false);
  assert.equal(await deviceFolder(ctx, (await store.getDevice('arefoldersdevice0001'))!), 'folder-before');

  await deleteDevice(ctx, 'arefoldersdevice0001');
  await deleteRegistry(ctx, REGISTRY_ID);
  await importRegistry(ctx, registryIn('folder-after'), none, false);
  await importDevice(ctx, device('arefoldersdevice0002'), none, false);
  const moved = (await store.getDevice('arefoldersdevice0002'))!;
  // The deletion reaches the memory through the revocation feed; give it a moment, never the old folder.
  const deadline = Date.now() + 2000;
  let folder = await deviceFolder(ctx, moved);
  while (folder !== 'folder-after' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    folder = await deviceFolder(ctx, moved);
  }
  assert.equal(folder, 'folder-after');
});
