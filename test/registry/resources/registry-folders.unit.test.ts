import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryFolders } from '../../../services/registry/resources/registry-folders.js';
import type { RegistryRecord } from '../../../services/registry/store/records.js';
import type { Revocation } from '../../../services/contracts/revocations.js';

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

const revocation = (kind: Revocation['kind'], id: string): Revocation => ({ kind, entity_id: id, registry_id: id, credential_id: '' });
const cursor = { epoch: 'e', seq: 1 };

test('a deleted registry is forgotten: imported again under its ID into another folder, the new folder is read', async () => {
  const registries = new Map([['r3', { folder_id: 'f-old' }]]);
  const folders = new RegistryFolders(storeOf(registries));
  const feed = folders.invalidation();
  assert.equal(await folders.of('r3'), 'f-old');
  registries.set('r3', { folder_id: 'f-new' });
  feed.revocation(revocation('DEVICE_DELETED', 'r3'), cursor);
  assert.equal(await folders.of('r3'), 'f-old', 'only a registry deletion is forgotten');
  feed.revocation(revocation('REGISTRY_DELETED', 'r3'), cursor);
  assert.equal(await folders.of('r3'), 'f-new');
  registries.set('r3', { folder_id: 'f-third' });
  feed.gap('trimmed');
  assert.equal(await folders.of('r3'), 'f-third', 'a gap in the feed forgets everything');
});

test('a read that a deletion overtook is not remembered', async () => {
  const registries = new Map([['r4', { folder_id: 'f-old' }]]);
  const store = storeOf(registries);
  const folders = new RegistryFolders(store);
  const reading = folders.of('r4');
  folders.invalidation().revocation(revocation('REGISTRY_DELETED', 'r4'), cursor);
  assert.equal(await reading, 'f-old');
  registries.set('r4', { folder_id: 'f-new' });
  assert.equal(await folders.of('r4'), 'f-new');
});
