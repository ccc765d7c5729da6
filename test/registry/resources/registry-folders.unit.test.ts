import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryFolders } from '../../../services/registry/resources/registry-folders.js';
import type { RegistryRecord } from '../../../services/registry/store/records.js';

/** A store holding `registries`, counting the lookups made of it. */
function storeOf(registries: Map<string, Pick<RegistryRecord, 'folder_id'>>) {
  let lookups = 0;
  return {
    lookups: () => lookups,
    getRegistry: async (id: string) => {
      lookups++;
      return registries.get(id) as RegistryRecord | undefined;
    },
  };
}

test("a registry's folder is read from the store once, then remembered", async () => {
  const store = storeOf(new Map([['r1', { folder_id: 'f1' }]]));
  const folders = new RegistryFolders(store);
  assert.equal(await folders.of('r1'), 'f1');
  assert.equal(await folders.of('r1'), 'f1');
  assert.equal(store.lookups(), 1);
});

test('a registry not found is not remembered: once created, it is found', async () => {
  const registries = new Map<string, Pick<RegistryRecord, 'folder_id'>>();
  const store = storeOf(registries);
  const folders = new RegistryFolders(store);
  assert.equal(await folders.of('r2'), undefined);
  registries.set('r2', { folder_id: 'f2' });
  assert.equal(await folders.of('r2'), 'f2');
  assert.equal(store.lookups(), 2);
});
