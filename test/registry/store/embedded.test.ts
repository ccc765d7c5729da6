import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore } from '../../../services/registry/store/embedded.js';
import { runStoreContract, registry, device, dataStreamExport } from './store-contract.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-store-'));
process.once('exit', () => void rm(dir, { recursive: true, force: true }));

runStoreContract('embedded (LevelDB)', () => openEmbeddedStore(path.join(dir, 'contract')));

test('embedded store: data survives close and reopen', async () => {
  const location = path.join(dir, 'durable');
  const first = await openEmbeddedStore(location);
  const r = registry('f', 'durable');
  const d = device(r.id, 'd');
  await first.createRegistry(r, { passwords: [], certificates: [] });
  await first.createDevice(d, { passwords: [], certificates: [] });
  const exported = dataStreamExport(r.id);
  await first.createDataStreamExport(exported);
  await first.close();
  const second = await openEmbeddedStore(location);
  assert.deepEqual(await second.getRegistry(r.id), r);
  assert.deepEqual(await second.getDeviceByName(r.id, 'd'), d);
  assert.deepEqual(await second.listDataStreamExports(r.id), [exported]);
  await second.close();
});
