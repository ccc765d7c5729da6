import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test("embedded store: devices' monitoring times are kept in memory and saved every few seconds, and at close", async () => {
  const location = path.join(dir, 'monitoring');
  const none = { passwords: [], certificates: [] };
  const r = registry('f', 'monitored');
  const [kept, killed, gone] = [device(r.id, 'kept'), device(r.id, 'killed'), device(r.id, 'gone')];
  const setup = await openEmbeddedStore(location);
  await setup.createRegistry(r, none);
  for (const created of [kept, killed, gone]) await setup.createDevice(created, none);
  await setup.close();
  const at = new Date('2026-12-06T15:00:00.000Z');

  // A process that reports, lets one save pass, reports again, and dies without closing the store.
  const store = new URL('../../../services/registry/store/embedded.js', import.meta.url).href;
  const script = `
    const { openEmbeddedStore } = await import(${JSON.stringify(store)});
    const store = await openEmbeddedStore(${JSON.stringify(location)}, { monitoringSaveMs: 100 });
    const report = (id, time) => store.recordDeviceMonitoring([{ device_id: id, patch: { last_online_time: new Date(time) } }]);
    await report(${JSON.stringify(kept.id)}, ${at.getTime()});
    await report(${JSON.stringify(gone.id)}, ${at.getTime()});
    await store.deleteDevice(${JSON.stringify(gone.id)});
    await new Promise((resolve) => setTimeout(resolve, 400));
    await report(${JSON.stringify(killed.id)}, ${at.getTime()});
    if ((await store.getDevice(${JSON.stringify(killed.id)})).monitoring.last_online_time === undefined) process.exit(2);
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.signal, 'SIGKILL', child.stderr);

  const reopened = await openEmbeddedStore(location);
  assert.deepEqual((await reopened.getDevice(kept.id))?.monitoring, { last_online_time: at }, 'saved by the timer');
  assert.deepEqual((await reopened.getDevice(killed.id))?.monitoring, {}, 'reported after the last save: lost with the process');
  assert.equal(await reopened.getDevice(gone.id), undefined, 'a deleted device is not written back by the save');
  // More devices than one write of a save holds.
  const fleet = Array.from({ length: 450 }, (_, index) => ({ ...device(r.id, `fleet-${index}`), topic_aliases: {} }));
  for (const created of fleet) await reopened.createDevice(created, none);
  await reopened.recordDeviceMonitoring([killed, ...fleet].map(({ id }) => ({ device_id: id, patch: { last_online_time: at } })));
  await reopened.close();
  const last = await openEmbeddedStore(location);
  for (const saved of [killed, ...fleet])
    assert.deepEqual((await last.getDevice(saved.id))?.monitoring, { last_online_time: at }, `${saved.name}: saved at close`);
  await last.close();
});
