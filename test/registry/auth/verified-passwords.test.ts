// Which password matched, found as cheaply as is safe: remembered across a restart through the
// shared cache (LevelDB and Redis), one slow hash for many simultaneous clients, never trusting an
// entry planted without the secret or one whose password record is gone.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { register } from 'prom-client';
import { VerifiedPasswords } from '../../../services/registry/auth/verified-passwords.js';
import {
  credentialMac,
  levelCredentialCache,
  redisCredentialCache,
  type SharedCredentialCache,
} from '../../../services/registry/auth/shared-credential-cache.js';
import { hashPassword } from '../../../services/registry/credentials/passwords.js';
import type { PasswordRecord } from '../../../services/registry/store/records.js';
import { redisUrl } from '../../support/servers.js';

const PASSWORD = 'Device-Passw0rd-0001';

async function checks(): Promise<Record<string, number>> {
  const values = (await register.getSingleMetric('iotcore_password_checks_total')?.get())?.values ?? [];
  return Object.fromEntries(values.map((value) => [String(value.labels.path), value.value]));
}

async function delta(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await checks();
  await run();
  const after = await checks();
  return Object.fromEntries(
    Object.entries(after)
      .map(([path, count]) => [path, count - (before[path] ?? 0)])
      .filter(([, count]) => count !== 0),
  );
}

for (const kind of ['LevelDB', 'Redis'] as const) {
  describe(`verified passwords with the shared cache in ${kind}`, () => {
    let shared: SharedCredentialCache;
    let dir: string;
    const secret = randomBytes(32);
    let records: PasswordRecord[];
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-credentials-'));
      shared = kind === 'LevelDB' ? await levelCredentialCache(dir) : await redisCredentialCache(await redisUrl());
      records = [
        { id: `pw-${kind}`, owner_kind: 'device', owner_id: `dev-${kind}`, hash: await hashPassword(PASSWORD), created_at: new Date() },
      ];
    });
    after(async () => {
      await shared.close();
      await rm(dir, { recursive: true, force: true });
    });
    const entity = `dev-${kind}`;

    test('many clients presenting the same password at once share one slow hash', async () => {
      const first = new VerifiedPasswords({ shared, secret });
      const counted = await delta(async () => {
        const matches = await Promise.all(Array.from({ length: 20 }, () => first.match(entity, Buffer.from(PASSWORD), records)));
        assert.ok(matches.every((id) => id === records[0]!.id));
      });
      assert.deepEqual(counted, { slow: 1 });
      assert.deepEqual(await delta(() => first.match(entity, Buffer.from(PASSWORD), records)), { memory: 1 });
    });

    test('after a restart (a new process, same secret) the shared cache answers without a slow hash', async () => {
      const restarted = new VerifiedPasswords({ shared, secret });
      assert.deepEqual(
        await delta(async () => assert.equal(await restarted.match(entity, Buffer.from(PASSWORD), records), records[0]!.id)),
        { shared: 1 },
      );
      // Another secret (a replica configured differently) never finds those entries: it hashes.
      const other = new VerifiedPasswords({ shared, secret: randomBytes(32) });
      assert.deepEqual(await delta(() => other.match(entity, Buffer.from(PASSWORD), records)), { slow: 1 });
    });

    test('an entry planted without the secret is never trusted', async () => {
      // Whoever holds the store but not the secret maps a guess to the real password ID.
      await shared.set(entity, credentialMac(randomBytes(32), entity, Buffer.from('guessed-Passw0rd!')), records[0]!.id);
      const fresh = new VerifiedPasswords({ shared, secret });
      assert.equal(await fresh.match(entity, Buffer.from('guessed-Passw0rd!'), records), undefined);
    });

    test('a password vouched for by an import is matched without a slow hash, by every process sharing the cache', async () => {
      const importedEntity = `imported-${kind}`;
      const imported: PasswordRecord[] = [{ ...records[0]!, id: `pw-imported-${kind}`, owner_id: importedEntity }];
      const importer = new VerifiedPasswords({ shared, secret });
      await importer.vouch(importedEntity, PASSWORD, imported[0]!.id);
      const replica = new VerifiedPasswords({ shared, secret });
      assert.deepEqual(
        await delta(async () => assert.equal(await replica.match(importedEntity, Buffer.from(PASSWORD), imported), imported[0]!.id)),
        { shared: 1 },
      );
      // A wrong password is still decided by the hash.
      assert.deepEqual(
        await delta(async () => assert.equal(await replica.match(importedEntity, Buffer.from('Other-Passw0rd-0002'), imported), undefined)),
        { slow: 1 },
      );
    });

    test('an entry whose password record is gone is not trusted, and forget drops it everywhere', async () => {
      const fresh = new VerifiedPasswords({ shared, secret });
      assert.equal(await fresh.match(entity, Buffer.from(PASSWORD), []), undefined, 'the password was deleted');
      fresh.forget(entity);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await shared.get(entity, credentialMac(secret, entity, Buffer.from(PASSWORD))), undefined);
    });
  });
}

test('the LevelDB cache, reopened after a restart, answers what was remembered and not what was forgotten', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-credentials-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kept = { entity: 'reg/dev:kept é', mac: credentialMac(randomBytes(32), 'kept', Buffer.from(PASSWORD)) };
  const dropped = { entity: 'reg/dev-dropped', mac: credentialMac(randomBytes(32), 'dropped', Buffer.from(PASSWORD)) };
  const first = await levelCredentialCache(dir);
  await first.set(kept.entity, kept.mac, 'pw-kept');
  await first.set(dropped.entity, dropped.mac, 'pw-dropped');
  await first.forget(dropped.entity);
  await first.close();
  const reopened = await levelCredentialCache(dir);
  t.after(() => reopened.close());
  assert.equal(await reopened.get(kept.entity, kept.mac), 'pw-kept');
  assert.equal(await reopened.get(dropped.entity, dropped.mac), undefined);
  assert.equal(await reopened.get(kept.entity, dropped.mac), undefined);
});
