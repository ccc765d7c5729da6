// A create must not read the registry: with 1,000 devices already there, creating, re-aliasing or
// importing one more reads the same few records as with 10. The store is wrapped in a proxy that
// counts the records every call returns (a page of 1,000 counts 1,000), and the real resource
// rules run on top of it, on both backends. The 989 devices between the 11th and the 1,001st are
// written straight to the store, as createDevice would write them: their own alias checks are not
// what is measured, and on the test FerretDB (which filters in the server) they took a minute.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { RegistryStore } from '../../../services/registry/store/contract.js';
import { openEmbeddedStore } from '../../../services/registry/store/embedded.js';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { createIdGenerator } from '../../../services/registry/ids.js';
import { RegistryEvents } from '../../../services/registry/resources/events.js';
import { RegistryFolders } from '../../../services/registry/resources/registry-folders.js';
import type { ResourceContext } from '../../../services/registry/resources/context.js';
import { createRegistry } from '../../../services/registry/resources/registries.js';
import { createDevice, updateDevice } from '../../../services/registry/resources/devices.js';
import { importDevice } from '../../../services/registry/resources/imports.js';
import { normalizeTopicAliases } from '../../../services/registry/validation/topic-aliases.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

/** Wraps a store so that every record any call returns is counted. */
function countingReads(store: RegistryStore): { store: RegistryStore; reads: () => number } {
  let reads = 0;
  const counted = (value: unknown): number => {
    if (value === undefined || value === null || typeof value !== 'object') return 0;
    if (Array.isArray(value)) return value.length;
    if ('items' in value && Array.isArray(value.items)) return value.items.length;
    return 1;
  };
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver) as unknown;
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        const result: unknown = await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        reads += counted(result);
        return result;
      };
    },
  });
  return { store: proxy, reads: () => reads };
}

function readsPerCreate(name: string, open: () => Promise<RegistryStore>) {
  describe(`reads per create, ${name}`, () => {
    let raw: RegistryStore;
    let counting: ReturnType<typeof countingReads>;
    let ctx: ResourceContext;
    let registryId: string;
    before(async () => {
      raw = await open();
      counting = countingReads(raw);
      const newId = createIdGenerator('tst');
      ctx = {
        store: counting.store,
        newId,
        now: () => new Date(),
        quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
        events: new RegistryEvents(),
        registryFolders: new RegistryFolders(counting.store),
      };
      registryId = (await createRegistry(ctx, { folder_id: 'f-reads', name: 'fleet', description: '', labels: {}, certificates: [] })).id;
    });
    after(() => raw.close());

    const aliasesOf = (index: number) => ({ [`fleet/${index}/`]: '$devices/{id}/events/' });
    const create = (index: number) =>
      createDevice(ctx, {
        registry_id: registryId,
        name: `d${index}`,
        description: '',
        labels: {},
        certificates: [],
        topic_aliases: aliasesOf(index),
      });
    /** Devices d{from} to d{to - 1}, the records createDevice stores, written without the rules. */
    const fill = async (from: number, to: number) => {
      for (let index = from; index < to; index++) {
        const id = ctx.newId();
        const device = {
          id,
          registry_id: registryId,
          created_at: ctx.now(),
          name: `d${index}`,
          description: '',
          topic_aliases: normalizeTopicAliases(id, aliasesOf(index)),
          labels: {},
          monitoring: {},
        };
        await raw.createDevice(device, { passwords: [], certificates: [] });
      }
    };

    /** Records read by `action` alone. */
    const readsOf = async (action: () => Promise<unknown>) => {
      const before = counting.reads();
      await action();
      return counting.reads() - before;
    };

    test('the 1,001st create, an alias update and an import read what the 11th did', async () => {
      for (let index = 0; index < 10; index++) await create(index);
      const small = {
        create: await readsOf(() => create(10)),
        update: await readsOf(async () =>
          updateDevice(ctx, (await ctx.store.getDeviceByName(registryId, 'd10'))!.id, {
            topic_aliases: { 'fleet/10b/': '$devices/{id}/state' },
          }),
        ),
        import: await readsOf(() =>
          importDevice(ctx, importedDevice(registryId, 'imported-10'), { certificates: [], passwords: [] }, false),
        ),
      };
      await fill(11, 1000);
      assert.equal(await raw.countDevices({ registry_id: registryId }), 1001, 'd0 to d999 and imported-10');
      const large = {
        create: await readsOf(() => create(1000)),
        update: await readsOf(async () =>
          updateDevice(ctx, (await ctx.store.getDeviceByName(registryId, 'd1000'))!.id, {
            topic_aliases: { 'fleet/1000b/': '$devices/{id}/state' },
          }),
        ),
        import: await readsOf(() =>
          importDevice(ctx, importedDevice(registryId, 'imported-1000'), { certificates: [], passwords: [] }, false),
        ),
      };
      assert.deepEqual(large, small, 'records read do not grow with the registry');
      assert.ok(large.create <= 3 && large.update <= 3 && large.import <= 3, `a handful of records each: ${JSON.stringify(large)}`);
    });

    test('the alias rule is still enforced, with the same message', async () => {
      const holder = (await ctx.store.getDeviceByName(registryId, 'd999'))!;
      const clash = createDevice(ctx, {
        registry_id: registryId,
        name: 'clash',
        description: '',
        labels: {},
        certificates: [],
        topic_aliases: { 'fleet/999/x': '$devices/{id}/events' },
      });
      await assert.rejects(clash, {
        message: `topic_aliases: alias "fleet/999/x" conflicts with alias "fleet/999/" of device ${holder.id} (one is a prefix of the other)`,
      });
      assert.equal(await ctx.store.getDeviceByName(registryId, 'clash'), undefined);
    });
  });
}

function importedDevice(registry_id: string, name: string) {
  return {
    id: createIdGenerator('are')(),
    registry_id,
    created_at: new Date(),
    name,
    description: '',
    labels: {},
    topic_aliases: { [`import/${name}/`]: '$devices/{id}/events' },
    monitoring: {},
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-reads-'));
process.once('exit', () => void rm(dir, { recursive: true, force: true }));
readsPerCreate('embedded (LevelDB)', () => openEmbeddedStore(path.join(dir, 'store')));

const client = new MongoClient(await mongoUrl());
await client.connect();
after(() => client.close());
readsPerCreate('MongoDB-compatible server', () => openMongoStore(client, uniqueDbName('registry_reads')));
