// What the API fuzz target's requests can find: a registry, a device and a broker with passwords,
// a certificate and an operation, all with fixed IDs (imported, as the migration does), restored
// after any request that may have changed them, so requests keep reaching past "not found" and
// each costs what one request costs.
import type { ResourceContext } from '../../../services/registry/resources/context.js';
import { importBroker, importDevice, importRegistry } from '../../../services/registry/resources/imports.js';
import { hashPassword } from '../../../services/registry/credentials/passwords.js';
import type { OwnerKind } from '../../../services/registry/store/records.js';
import type { TestCertificate } from '../../support/certificates.js';
import { IDS } from './topic-inputs.js';
import { PASSWORD } from './in-memory-registry-link.js';

export const FOLDER = 'fuzz-folder';
export const PASSWORD_IDS = { registry: 'arefuzzpassword00001', device: 'arefuzzpassword00002', broker: 'arefuzzpassword00003' };
export const OPERATION_ID = 'arefuzzoperation0001';

const created_at = new Date('2026-01-01T00:00:00Z');
const common = { folder_id: FOLDER, created_at, description: 'fuzz fixture', labels: { fuzz: 'yes' }, log_options: undefined };
const OWNERS: Array<[OwnerKind, string, string]> = [
  ['registry', IDS.registry, PASSWORD_IDS.registry],
  ['device', IDS.device, PASSWORD_IDS.device],
  ['broker', IDS.broker, PASSWORD_IDS.broker],
];
const KINDS: OwnerKind[] = ['registry', 'device', 'broker'];
const FIXTURE_PASSWORDS = new Set(Object.values(PASSWORD_IDS));

/** Restores the fixtures; returns a function that does it again (cheaply: the password is hashed once). */
export async function fixtures(ctx: ResourceContext, certificate: TestCertificate): Promise<() => Promise<void>> {
  const hash = await hashPassword(PASSWORD);
  const restore = async () => {
    const none = { certificates: [], passwords: [] };
    await importRegistry(
      ctx,
      { ...common, id: IDS.registry, name: 'fuzz-registry', status: 'ACTIVE' },
      {
        certificates: [{ fingerprint: certificate.opensslFingerprint, certificate_data: certificate.certPem }],
        passwords: [],
      },
      false,
    );
    await importDevice(
      ctx,
      {
        id: IDS.device,
        registry_id: IDS.registry,
        created_at,
        name: 'fuzz-device',
        description: '',
        labels: {},
        monitoring: {},
        topic_aliases: { 'home/': `$devices/${IDS.device}/events/` },
      },
      none,
      false,
    );
    await importBroker(ctx, { ...common, id: IDS.broker, name: 'fuzz-broker' }, none, false);
    // Passwords the requests added go, from every entity whose ID requests can name (those of IDS,
    // which imports may create as any kind): a wrong password is checked against every password
    // of the entity, so after some thousands of requests each Authenticate took seconds
    // (test/fuzz/RESULTS.md).
    for (const owner_kind of KINDS) {
      for (const owner_id of Object.values(IDS)) {
        for (const password of await ctx.store.listPasswords(owner_kind, owner_id)) {
          if (!FIXTURE_PASSWORDS.has(password.id)) await ctx.store.deletePassword(owner_kind, owner_id, password.id);
        }
      }
    }
    // Stored with the hash made once: importing the password would hash it again (scrypt, ~0.1 s) each time.
    for (const [owner_kind, owner_id, id] of OWNERS) {
      if (!(await ctx.store.getPassword(id))) await ctx.store.addPassword({ id, owner_kind, owner_id, hash, created_at });
    }
    if (!(await ctx.store.getOperation(OPERATION_ID))) {
      await ctx.store.putOperation({
        id: OPERATION_ID,
        resource_id: IDS.registry,
        description: 'fuzz fixture',
        created_at,
        created_by: 'admin',
        modified_at: created_at,
        done: true,
      });
    }
  };
  await restore();
  return restore;
}
