// The storage contract, one suite for every backend (as aedes-persistence's abstract suite):
// embedded.test.ts and mongo.test.ts run it against their store.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistryStore, StoreError } from '../../../services/registry/store/contract.js';
import type {
  CertificateRecord,
  DeviceRecord,
  PasswordRecord,
  RegistryRecord,
  BrokerRecord,
  OperationRecord,
  AccessTokenRecord,
  DataStreamExportRecord,
  ServiceAccountKeyRecord,
  ServiceAccountRecord,
  TriggerRecord,
} from '../../../services/registry/store/records.js';
import { createIdGenerator } from '../../../services/registry/ids.js';

const newId = createIdGenerator('tst');
const at = new Date('2026-11-25T10:00:00.123Z');

export const registry = (folder_id: string, name: string): RegistryRecord => ({
  id: newId(),
  folder_id,
  created_at: at,
  name,
  description: 'd',
  labels: { env: 'test' },
  status: 'ACTIVE',
  log_options: { disabled: false, destination: { kind: 'folder_id', value: folder_id }, min_level: 0 },
});
export const device = (registry_id: string, name: string): DeviceRecord => ({
  id: newId(),
  registry_id,
  created_at: at,
  name,
  description: '',
  topic_aliases: { 'a/': '$devices/x/' },
  labels: {},
  monitoring: {},
});
const broker = (folder_id: string, name: string): BrokerRecord => ({
  id: newId(),
  folder_id,
  created_at: at,
  name,
  description: '',
  labels: {},
});
const password = (owner: { kind: 'registry' | 'device' | 'broker'; id: string }): PasswordRecord => ({
  id: newId(),
  owner_kind: owner.kind,
  owner_id: owner.id,
  hash: 'scrypt$1$1$1$c2FsdA==$aGFzaA==',
  created_at: at,
});
const certificate = (owner: { kind: 'registry' | 'device' | 'broker'; id: string }, fingerprint = newId()): CertificateRecord => ({
  fingerprint,
  owner_kind: owner.kind,
  owner_id: owner.id,
  certificate_data: '-----BEGIN CERTIFICATE-----\n…',
  created_at: at,
});
export const dataStreamExport = (registry_id: string, name = 'telemetry'): DataStreamExportRecord => ({
  id: newId(),
  registry_id,
  created_at: at,
  name,
  mqtt_topic_filter: '$devices/+/events/#',
  database: '/ru-central1/b1gexample/etnexample',
  stream: 'iot-telemetry',
  service_account_id: 'ajeexample',
});
export const trigger = (folder_id: string, source: TriggerRecord['source']): TriggerRecord => ({
  id: newId(),
  folder_id,
  created_at: at,
  name: 'to-backend',
  description: '',
  source,
  device_id: '',
  mqtt_topic: '$devices/+/events',
  filter: '$devices/+/events',
  batch_size: 10,
  batch_cutoff_ms: 2_000,
  retry_attempts: 3,
  retry_interval_ms: 10_000,
  url: 'https://backend.example/iot',
  bearer_token: 'bearer',
  signing_secret: 'iots_secret',
  dead_letter: { kind: 'mqtt_topic', value: `$registries/${source.id}/commands/dead` },
});
const none = { passwords: [], certificates: [] };

const rejectsWith = (kind: StoreError['kind']) => (error: StoreError) => {
  assert.equal(error.kind, kind, `expected ${kind}, got ${String(error.kind)}: ${error.message}`);
  return true;
};

export function runStoreContract(name: string, open: () => Promise<RegistryStore>): void {
  describe(`registry store contract: ${name}`, () => {
    let store: RegistryStore;
    before(async () => {
      store = await open();
    });
    after(() => store.close());

    test('registries: create, get, get by name, update, delete', async () => {
      const r = registry('f-crud', 'one');
      await store.createRegistry(r, none);
      assert.deepEqual(await store.getRegistry(r.id), r);
      assert.deepEqual(await store.getRegistryByName('f-crud', 'one'), r);
      assert.equal(await store.getRegistryByName('other-folder', 'one'), undefined);
      const renamed = { ...r, name: 'uno', labels: {}, status: 'DISABLED' as const };
      await store.updateRegistry(renamed);
      assert.deepEqual(await store.getRegistry(r.id), renamed);
      await store.deleteRegistry(r.id);
      assert.equal(await store.getRegistry(r.id), undefined);
      await assert.rejects(store.deleteRegistry(r.id), rejectsWith('not_found'));
      await assert.rejects(store.updateRegistry(r), rejectsWith('not_found'));
    });

    test('registry and broker names are unique per folder only', async () => {
      await store.createRegistry(registry('f-unique', 'same'), none);
      await assert.rejects(store.createRegistry(registry('f-unique', 'same'), none), rejectsWith('already_exists'));
      await store.createRegistry(registry('f-unique-2', 'same'), none);
      const other = registry('f-unique', 'other');
      await store.createRegistry(other, none);
      await assert.rejects(store.updateRegistry({ ...other, name: 'same' }), rejectsWith('already_exists'));
      await store.createBroker(broker('f-unique', 'b'), none);
      await assert.rejects(store.createBroker(broker('f-unique', 'b'), none), rejectsWith('already_exists'));
      assert.equal(await store.countRegistries('f-unique'), 2);
      assert.equal(await store.countBrokers('f-unique'), 1);
    });

    test('devices: parent must exist, names unique per registry, scoping by registry and folder', async () => {
      const r1 = registry('f-dev', 'r1');
      const r2 = registry('f-dev', 'r2');
      await store.createRegistry(r1, none);
      await store.createRegistry(r2, none);
      await assert.rejects(store.createDevice(device('tst00000000000000000', 'orphan'), none), rejectsWith('not_found'));
      const d1 = device(r1.id, 'd');
      await store.createDevice(d1, none);
      await assert.rejects(store.createDevice(device(r1.id, 'd'), none), rejectsWith('already_exists'));
      await store.createDevice(device(r2.id, 'd'), none);
      assert.deepEqual(await store.getDevice(d1.id), d1);
      assert.deepEqual(await store.getDeviceByName(r1.id, 'd'), d1);
      assert.equal(await store.countDevices({ registry_id: r1.id }), 1);
      assert.equal(await store.countDevices({ folder_id: 'f-dev' }), 2);
      assert.equal((await store.listDevices({ folder_id: 'f-dev' }, { page_size: 10, page_token: '' })).items.length, 2);
      const updated = { ...d1, description: 'changed', topic_aliases: {} };
      await store.updateDevice(updated);
      assert.deepEqual(await store.getDevice(d1.id), updated);
    });

    test('registry deletion is refused while devices exist, and cascades credentials', async () => {
      const r = registry('f-delete', 'r');
      const rp = password({ kind: 'registry', id: r.id });
      const rc = certificate({ kind: 'registry', id: r.id });
      await store.createRegistry(r, { passwords: [rp], certificates: [rc] });
      const d = device(r.id, 'd');
      const dc = certificate({ kind: 'device', id: d.id });
      await store.createDevice(d, { passwords: [password({ kind: 'device', id: d.id })], certificates: [dc] });
      await assert.rejects(store.deleteRegistry(r.id), rejectsWith('failed_precondition'));
      assert.ok(await store.getRegistry(r.id));
      await store.deleteDevice(d.id);
      assert.deepEqual(await store.listPasswords('device', d.id), []);
      assert.equal(await store.findCertificate(dc.fingerprint), undefined);
      await store.deleteRegistry(r.id);
      assert.deepEqual(await store.listPasswords('registry', r.id), []);
      assert.equal(await store.findCertificate(rc.fingerprint), undefined);
    });

    test('certificates are globally unique; a clashing create stores nothing', async () => {
      const r = registry('f-cert', 'r');
      const shared = certificate({ kind: 'registry', id: r.id });
      await store.createRegistry(r, { passwords: [], certificates: [shared] });
      assert.equal((await store.findCertificate(shared.fingerprint))?.owner_id, r.id);
      const d = device(r.id, 'thief');
      const dp = password({ kind: 'device', id: d.id });
      await assert.rejects(
        store.createDevice(d, {
          passwords: [dp],
          certificates: [certificate({ kind: 'device', id: d.id }), { ...shared, owner_kind: 'device', owner_id: d.id }],
        }),
        rejectsWith('already_exists'),
      );
      assert.equal(await store.getDevice(d.id), undefined, 'the device was not stored');
      assert.deepEqual(await store.listPasswords('device', d.id), [], 'nor its passwords');
      assert.deepEqual(await store.listCertificates('device', d.id), [], 'nor its other certificates');
      const b = broker('f-cert', 'b');
      await store.createBroker(b, none);
      await assert.rejects(store.addCertificate({ ...shared, owner_kind: 'broker', owner_id: b.id }), (error: StoreError) => {
        assert.equal(error.kind, 'already_exists');
        assert.ok(!error.message.includes(r.id), `the holder, maybe in another folder, is not named: ${error.message}`);
        return true;
      });
      await assert.rejects(store.addCertificate(certificate({ kind: 'device', id: 'tst00000000000000000' })), rejectsWith('not_found'));
    });

    test('passwords and certificates: add, list, delete per owner', async () => {
      const b = broker('f-cred', 'b');
      await store.createBroker(b, none);
      const p1 = password({ kind: 'broker', id: b.id });
      const p2 = password({ kind: 'broker', id: b.id });
      await store.addPassword(p1);
      await store.addPassword(p2);
      assert.deepEqual((await store.listPasswords('broker', b.id)).map((p) => p.id).sort(), [p1.id, p2.id].sort());
      assert.deepEqual(await store.getPassword(p1.id), p1, 'a password is found by its global ID');
      await store.ping();
      assert.equal(await store.getPassword('no-such-password'), undefined);
      await store.deletePassword('broker', b.id, p1.id);
      assert.deepEqual(
        (await store.listPasswords('broker', b.id)).map((p) => p.id),
        [p2.id],
      );
      await assert.rejects(store.deletePassword('broker', b.id, p1.id), rejectsWith('not_found'));
      await assert.rejects(store.deletePassword('device', b.id, p2.id), rejectsWith('not_found'));
      const c = certificate({ kind: 'broker', id: b.id });
      await store.addCertificate(c);
      assert.deepEqual(await store.listCertificates('broker', b.id), [c]);
      await assert.rejects(store.deleteCertificate('registry', b.id, c.fingerprint), rejectsWith('not_found'));
      await store.deleteCertificate('broker', b.id, c.fingerprint);
      assert.deepEqual(await store.listCertificates('broker', b.id), []);
      await store.deleteBroker(b.id);
      assert.deepEqual(await store.listPasswords('broker', b.id), []);
    });

    test('paging visits every item exactly once', async () => {
      const ids = new Set<string>();
      for (let index = 0; index < 250; index++) {
        const r = registry('f-page', `r${index}`);
        ids.add(r.id);
        await store.createRegistry(r, none);
      }
      const seen: string[] = [];
      let page_token = '';
      let pages = 0;
      do {
        const page = await store.listRegistries('f-page', { page_size: 100, page_token });
        seen.push(...page.items.map((item) => item.id));
        page_token = page.next_page_token;
        pages++;
      } while (page_token);
      assert.equal(pages, 3);
      assert.equal(seen.length, 250);
      assert.deepEqual(new Set(seen), ids);
    });

    test('topic aliases: listed per registry, conflicts found in both directions and nowhere else', async () => {
      const r = registry('f-alias', 'r');
      const elsewhere = registry('f-alias', 'elsewhere');
      await store.createRegistry(r, none);
      await store.createRegistry(elsewhere, none);
      const withAliases = (registry_id: string, name: string, topic_aliases: Record<string, string>) => ({
        ...device(registry_id, name),
        topic_aliases,
      });
      const d1 = withAliases(r.id, 'd1', { 'a/b/': '$devices/d1/events/', 'p*?(': '$devices/d1/state' });
      const d2 = withAliases(r.id, 'd2', { pX: '$devices/d2/events' });
      const plain = withAliases(r.id, 'plain', {});
      const other = withAliases(elsewhere.id, 'other', { 'z/': '$devices/other/events' });
      for (const d of [d1, d2, plain, other]) await store.createDevice(d, none);
      const entries = (d: DeviceRecord) =>
        Object.entries(d.topic_aliases).map(([alias, topic_prefix]) => ({ device_id: d.id, alias, topic_prefix }));
      assert.deepEqual(await store.listAliases(r.id), [d1, d2].sort((a, b) => (a.id < b.id ? -1 : 1)).flatMap(entries));
      const conflicts = async (aliases: string[], except = 'tst00000000000000000') =>
        (await store.findAliasConflicts(r.id, except, aliases)).map((entry) => entry.alias);
      assert.deepEqual(await conflicts(['a/']), ['a/b/'], 'the new alias is a prefix of a stored one');
      assert.deepEqual(await conflicts(['a/b/c/d']), ['a/b/'], 'a stored alias is a prefix of the new one');
      assert.deepEqual(await conflicts(['a/b/']), ['a/b/'], 'equal aliases conflict');
      assert.deepEqual(await conflicts(['a/c', 'b', 'z/']), [], 'no prefix relation, or only with another registry');
      assert.deepEqual(await conflicts(['p*']), ['p*?('], 'aliases are plain strings, not patterns');
      assert.deepEqual(await conflicts(['p*?(/x']), ['p*?(']);
      assert.deepEqual(await conflicts(['a/', 'p'], d1.id), ['pX'], "the device's own aliases never conflict");
      await store.updateDevice({ ...d1, topic_aliases: { 'c/': '$devices/d1/events/' } });
      assert.deepEqual(await conflicts(['a/']), [], 'an update replaces the indexed aliases');
      assert.deepEqual(await conflicts(['c/x']), ['c/']);
      await store.deleteDevice(d1.id);
      assert.deepEqual(await conflicts(['c/x']), []);
      assert.deepEqual(await store.listAliases(r.id), entries(d2));
    });

    test('device pages visit every device once, in ID order, by registry and by folder', async () => {
      const r1 = registry('f-device-pages', 'r1');
      const r2 = registry('f-device-pages', 'r2');
      await store.createRegistry(r1, none);
      await store.createRegistry(r2, none);
      const created: DeviceRecord[] = [];
      for (let index = 0; index < 60; index++) {
        const d = device(index % 3 === 0 ? r2.id : r1.id, `d${index}`);
        created.push(d);
        await store.createDevice(d, none);
      }
      await store.deleteDevice(created.pop()!.id);
      const all = async (scope: { registry_id: string } | { folder_id: string }) => {
        const seen: string[] = [];
        let page_token = '';
        do {
          const page = await store.listDevices(scope, { page_size: 7, page_token });
          seen.push(...page.items.map((item) => item.id));
          page_token = page.next_page_token;
        } while (page_token);
        return seen;
      };
      const ids = (registryId?: string) =>
        created
          .filter((d) => !registryId || d.registry_id === registryId)
          .map((d) => d.id)
          .sort();
      assert.deepEqual(await all({ registry_id: r1.id }), ids(r1.id));
      assert.deepEqual(await all({ folder_id: 'f-device-pages' }), ids());
      assert.equal(await store.countDevices({ registry_id: r2.id }), ids(r2.id).length);
      assert.equal(await store.countDevices({ folder_id: 'f-device-pages' }), 59);
    });

    test('device monitoring data merges, a report of many devices in one write', async () => {
      const r = registry('f-mon', 'r');
      await store.createRegistry(r, none);
      const d = device(r.id, 'd');
      const other = device(r.id, 'other');
      await store.createDevice(d, none);
      await store.createDevice(other, none);
      const first = new Date('2026-11-25T11:00:00.000Z');
      const second = new Date('2026-11-25T11:05:00.000Z');
      await store.recordDeviceMonitoring([{ device_id: d.id, patch: { last_auth_ip: '10.0.0.1', last_auth_time: first } }]);
      // A device that is gone (deleted meanwhile) is skipped; the others of the report are stored.
      await store.recordDeviceMonitoring([
        { device_id: d.id, patch: { last_pub_activity_time: second } },
        { device_id: 'tst00000000000000000', patch: { last_online_time: first } },
        { device_id: other.id, patch: { last_online_time: second } },
        // Two reports of one device (from two edges, say) both count.
        { device_id: other.id, patch: { last_sub_activity_time: first } },
      ]);
      assert.deepEqual((await store.getDevice(d.id))?.monitoring, {
        last_auth_ip: '10.0.0.1',
        last_auth_time: first,
        last_pub_activity_time: second,
      });
      assert.deepEqual((await store.getDevice(other.id))?.monitoring, { last_online_time: second, last_sub_activity_time: first });
      assert.equal(await store.getDevice('tst00000000000000000'), undefined);
      // Still found by name and listed once: monitoring leaves the indexes as they were.
      assert.equal((await store.getDeviceByName(r.id, 'other'))?.id, other.id);
      const listed = await store.listDevices({ registry_id: r.id }, { page_size: 10, page_token: '' });
      assert.deepEqual(listed.items.map((device) => device.id).sort(), [d.id, other.id].sort());
      assert.equal(await store.countDevices({ registry_id: r.id }), 2);
    });

    test('operations are kept per resource', async () => {
      const operation = (resource_id: string): OperationRecord => ({
        id: newId(),
        resource_id,
        description: 'Create device registry',
        created_at: at,
        created_by: 'admin',
        modified_at: at,
        done: true,
        metadata: { type_url: 'type.googleapis.com/x.Meta', value: new Uint8Array([10, 3, 97, 98, 99]) },
        response: { type_url: 'type.googleapis.com/x.Res', value: new Uint8Array([1, 2]) },
      });
      const first = operation('res-1');
      await store.putOperation(first);
      await store.putOperation(operation('res-1'));
      await store.putOperation(operation('res-2'));
      assert.deepEqual(await store.getOperation(first.id), first);
      const page = await store.listOperations('res-1', { page_size: 10, page_token: '' });
      assert.equal(page.items.length, 2);
      assert.equal(page.next_page_token, '');
      await store.putOperation({ ...first, description: 'put again' });
      assert.equal((await store.getOperation(first.id))?.description, 'put again', 'a second put replaces');
      assert.equal((await store.listOperations('res-1', { page_size: 10, page_token: '' })).items.length, 2);
    });
    test('data stream exports: one per registry, registry must exist, deleted by ID or with the registry', async () => {
      const r = registry('f-export', 'r');
      await store.createRegistry(r, none);
      await assert.rejects(store.createDataStreamExport(dataStreamExport('tst00000000000000000')), rejectsWith('not_found'));
      const first = dataStreamExport(r.id);
      await store.createDataStreamExport(first);
      assert.deepEqual(await store.listDataStreamExports(r.id), [first]);
      await assert.rejects(store.createDataStreamExport(dataStreamExport(r.id, 'second')), rejectsWith('already_exists'));
      const other = registry('f-export', 'other');
      await store.createRegistry(other, none);
      assert.deepEqual(await store.listDataStreamExports(other.id), []);
      await assert.rejects(store.deleteDataStreamExport(other.id, first.id), rejectsWith('not_found'));
      await store.deleteDataStreamExport(r.id, first.id);
      assert.deepEqual(await store.listDataStreamExports(r.id), []);
      await assert.rejects(store.deleteDataStreamExport(r.id, first.id), rejectsWith('not_found'));
      const again = dataStreamExport(r.id);
      await store.createDataStreamExport(again);
      await store.deleteRegistry(r.id);
      await store.createRegistry({ ...r, name: 'r-again' }, none);
      assert.deepEqual(await store.listDataStreamExports(r.id), [], 'the export went with its registry');
    });

    test('triggers: by ID, by folder, by registry or broker, all; deleted by ID', async () => {
      const onRegistry = trigger('f-trigger', { kind: 'registry', id: 'tstregistry000000000' });
      const { dead_letter: _, ...onBroker } = trigger('f-trigger', { kind: 'broker', id: 'tstbroker00000000000' });
      const elsewhere = trigger('f-other', { kind: 'registry', id: 'tstregistry000000000' });
      for (const record of [onRegistry, onBroker, elsewhere]) await store.createTrigger(record);
      await assert.rejects(store.createTrigger(onRegistry), rejectsWith('already_exists'));
      assert.deepEqual(await store.getTrigger(onRegistry.id), onRegistry);
      assert.equal(await store.getTrigger('tst00000000000000000'), undefined);
      assert.deepEqual(
        (await store.listTriggers('f-trigger')).map((t) => t.id),
        [onRegistry.id, onBroker.id].sort(),
      );
      assert.deepEqual(
        (await store.listSourceTriggers('registry', 'tstregistry000000000')).map((t) => t.id),
        [onRegistry.id, elsewhere.id].sort(),
      );
      assert.deepEqual(await store.listSourceTriggers('broker', 'tstbroker00000000000'), [onBroker]);
      assert.deepEqual(await store.listSourceTriggers('broker', 'tstregistry000000000'), []);
      const all = (await store.listAllTriggers()).map((t) => t.id);
      for (const record of [onRegistry, onBroker, elsewhere]) assert.ok(all.includes(record.id));
      await store.deleteTrigger(onRegistry.id);
      assert.equal(await store.getTrigger(onRegistry.id), undefined);
      await assert.rejects(store.deleteTrigger(onRegistry.id), rejectsWith('not_found'));
      assert.deepEqual(await store.listTriggers('f-trigger'), [onBroker]);
    });

    test('access tokens: found by hash, hash unique, listed, deleted', async () => {
      const token = (hash: string, expires_at?: Date): AccessTokenRecord => ({
        id: newId(),
        hash,
        description: 'dashboard',
        grants: [{ folder_id: 'f1', role: 'iot.viewer' }],
        created_at: at,
        ...(expires_at && { expires_at }),
        created_by: 'bootstrap-admin',
      });
      const forever = token('a'.repeat(64));
      const expiring = token('b'.repeat(64), new Date('2026-12-01T00:00:00Z'));
      await store.createAccessToken(forever);
      await store.createAccessToken(expiring);
      assert.deepEqual(await store.findAccessTokenByHash(forever.hash), forever);
      assert.deepEqual(await store.getAccessToken(expiring.id), expiring);
      assert.equal(await store.findAccessTokenByHash('c'.repeat(64)), undefined);
      await assert.rejects(store.createAccessToken(token(forever.hash)), (error: StoreError) => error.kind === 'already_exists');
      assert.deepEqual(
        (await store.listAccessTokens()).map((record) => record.id),
        [forever.id, expiring.id].sort(),
      );
      await store.deleteAccessToken(forever.id);
      assert.equal(await store.findAccessTokenByHash(forever.hash), undefined);
      await assert.rejects(store.deleteAccessToken(forever.id), (error: StoreError) => error.kind === 'not_found');
    });
    test('service accounts: name unique per folder; keys need their account and go with it', async () => {
      const account = (folder_id: string, name: string): ServiceAccountRecord => ({
        id: newId(),
        folder_id,
        name,
        description: '',
        grants: [{ folder_id, role: 'iot.editor' }],
        created_at: at,
        created_by: 'bootstrap-admin',
      });
      const robot = account('f1', 'robot');
      await store.createServiceAccount(robot);
      await store.createServiceAccount(account('f2', 'robot'));
      await assert.rejects(store.createServiceAccount(account('f1', 'robot')), (error: StoreError) => error.kind === 'already_exists');
      assert.deepEqual(await store.getServiceAccount(robot.id), robot);
      assert.equal((await store.listServiceAccounts()).length, 2);
      const key = (service_account_id: string): ServiceAccountKeyRecord => ({
        id: newId(),
        service_account_id,
        description: '',
        key_algorithm: 'RSA_2048',
        public_key: '-----BEGIN PUBLIC KEY-----',
        created_at: at,
      });
      const first = key(robot.id);
      const second = key(robot.id);
      await store.createServiceAccountKey(first);
      await store.createServiceAccountKey(second);
      await assert.rejects(store.createServiceAccountKey(key('nobody')), (error: StoreError) => error.kind === 'failed_precondition');
      assert.deepEqual(await store.getServiceAccountKey(first.id), first);
      assert.deepEqual(
        (await store.listServiceAccountKeys(robot.id)).map((record) => record.id),
        [first.id, second.id].sort(),
      );
      await store.deleteServiceAccountKey(first.id);
      await assert.rejects(store.deleteServiceAccountKey(first.id), (error: StoreError) => error.kind === 'not_found');
      await store.deleteServiceAccount(robot.id);
      assert.equal(await store.getServiceAccount(robot.id), undefined);
      assert.equal(await store.getServiceAccountKey(second.id), undefined, 'keys go with their account');
      await assert.rejects(store.deleteServiceAccount(robot.id), (error: StoreError) => error.kind === 'not_found');
    });
  });
}
