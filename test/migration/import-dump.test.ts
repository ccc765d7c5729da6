// `iotcore import yandex --dump`: committed fixtures in the exact `yc --format json` shapes are
// imported with every ID, timestamp, certificate, alias and password ID kept; a rerun changes
// nothing; a conflicting dump is reported and leaves nothing partial behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '../../services/registry/credentials/passwords.js';
import { ADMIN_TOKEN, startApi } from '../registry/api/harness.js';
import { writeYcDump } from '../../loadtest/fleet/yc-dump.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../services/cli/main.js');
const FIXTURES = path.resolve(HERE, '../../../test/migration/fixtures');
const DUMP = path.join(FIXTURES, 'yandex-dump');
const FOLDER = 'b1gfixturefolder0001';
const R1 = 'arefixtureregistry01';
const D1 = 'arefixturedevice0001';

interface Report {
  dry_run: boolean;
  summary: Record<string, number>;
  resources: Array<{
    kind: string;
    id: string;
    action: string;
    changes: string[];
    conflicts: string[];
    passwords_missing: string[];
    passwords_supplied: string[];
    passwords_generated: string[];
  }>;
}

function runImport(endpoint: string, ...args: string[]): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, '--endpoint', endpoint, '--plaintext', '--token', ADMIN_TOKEN, '--format', 'json', 'import', 'yandex', ...args],
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        let report: Report;
        try {
          report = JSON.parse(stdout) as Report;
        } catch {
          throw new Error(`import printed no report (exit ${code}): ${stderr}`);
        }
        resolve({ code, report, stdout, stderr });
      },
    );
  });
}

const actions = (report: Report) => Object.fromEntries(report.resources.map((row) => [row.id, row.action]));

test('import from a yc --format json dump', async (t) => {
  const target = await startApi();
  t.after(() => target.close());
  const { store } = target;
  const passwordsFile = path.join(FIXTURES, 'yandex-passwords.csv');

  await t.test('--dry-run plans every resource as CREATE and writes nothing', async () => {
    const { code, report } = await runImport(target.address, '--dump', DUMP, '--dry-run', '--passwords-file', passwordsFile);
    assert.equal(code, 0);
    assert.equal(report.dry_run, true);
    assert.deepEqual(report.summary, { create: 6, update: 0, unchanged: 0, conflict: 0, error: 0 });
    assert.equal(await store.countRegistries(FOLDER), 0);
    assert.equal(await store.countBrokers(FOLDER), 0);
  });

  await t.test('the import keeps IDs, fields, certificates, aliases, disabled state and password IDs', async () => {
    const { code, report, stdout, stderr } = await runImport(target.address, '--dump', DUMP, '--passwords-file', passwordsFile);
    assert.equal(code, 0, stderr);
    assert.deepEqual(actions(report), {
      arefixtureregistry01: 'CREATE',
      arefixturedevice0001: 'CREATE',
      arefixturedevice0002: 'CREATE',
      arefixtureregistry02: 'CREATE',
      arefixturedevice0003: 'CREATE',
      a36fixturebroker0001: 'CREATE',
    });
    assert.ok(!stdout.includes('Sensor2-Passw0rd-2023') && !stderr.includes('Sensor2-Passw0rd-2023'), 'passwords are never printed');

    const registries = JSON.parse(await readFile(path.join(DUMP, 'registries.json'), 'utf8')) as Array<Record<string, unknown>>;
    for (const source of registries) {
      const imported = await store.getRegistry(source.id as string);
      assert.ok(imported, `registry ${String(source.id)} imported`);
      assert.equal(imported.folder_id, source.folder_id);
      assert.equal(imported.name, source.name);
      assert.equal(imported.description, source.description ?? '');
      assert.deepEqual(imported.labels, source.labels ?? {});
      assert.equal(imported.status, source.status);
      assert.equal(imported.created_at.toISOString(), new Date(source.created_at as string).toISOString());
    }
    assert.deepEqual((await store.getRegistry(R1))!.log_options, {
      disabled: false,
      destination: { kind: 'log_group_id', value: 'e23fixtureloggroup01' },
      min_level: 3,
    });
    assert.equal((await store.getRegistry('arefixtureregistry02'))!.status, 'DISABLED', 'a disabled registry stays disabled');

    const sensor1 = await store.getDevice(D1);
    assert.deepEqual(
      sensor1!.topic_aliases,
      {
        'gh/s1/': `$devices/${D1}/events/`,
        'gh/s1cmd/': `$devices/${D1}/commands/`,
        'gh/s1state/': `$devices/${D1}/state/`,
        'gh/s1cfg/': `$devices/${D1}/config`,
        'gh/s1mon/': `$devices/${D1}/events/monitor/`,
      },
      'five aliases, {id} resolved to the device ID',
    );
    assert.deepEqual(sensor1!.labels, { floor: '1' });
    assert.equal(sensor1!.created_at.toISOString(), '2023-03-14T09:30:00.000Z');
    assert.equal((await store.getDevice('arefixturedevice0002'))!.created_at.toISOString(), '2023-03-15T10:00:00.250Z');

    for (const [kind, owner, file] of [
      ['registry', R1, `registries/${R1}/certificates.json`],
      ['device', D1, `devices/${D1}/certificates.json`],
      ['device', 'arefixturedevice0002', 'devices/arefixturedevice0002/certificates.json'],
      ['broker', 'a36fixturebroker0001', 'brokers/a36fixturebroker0001/certificates.json'],
    ] as const) {
      const source = JSON.parse(await readFile(path.join(DUMP, file), 'utf8')) as Array<{ fingerprint: string; created_at: string }>;
      const imported = await store.listCertificates(kind, owner);
      assert.deepEqual(
        imported.map((c) => [c.fingerprint, c.created_at.toISOString()]),
        source.map((c) => [c.fingerprint, new Date(c.created_at).toISOString()]),
        `${kind} ${owner} certificates`,
      );
    }

    const registryPasswords = await store.listPasswords('registry', R1);
    assert.deepEqual(
      registryPasswords.map((p) => [p.id, p.created_at.toISOString()]),
      [['arefixturepassword01', '2023-03-14T09:28:00.000Z']],
    );
    assert.match(registryPasswords[0]!.hash, /^scrypt\$/);
    assert.ok(
      await verifyPassword('Gr33n,house"Registry!', registryPasswords[0]!.hash),
      'a quoted CSV password with a comma is stored as written',
    );
    assert.deepEqual(
      (await store.listPasswords('device', 'arefixturedevice0002')).map((p) => p.id),
      ['arefixturepassword02'],
    );
    const byId = Object.fromEntries(report.resources.map((row) => [row.id, row]));
    assert.deepEqual(byId.arefixturedevice0003!.passwords_missing, ['arefixturepassword03'], 'pump-1 relied on a password nobody supplied');
    assert.deepEqual(byId.a36fixturebroker0001!.passwords_missing, ['a36fixturepassword01']);
    assert.deepEqual(await store.listPasswords('device', 'arefixturedevice0003'), []);
  });

  await t.test('a rerun reports everything unchanged and writes nothing', async () => {
    const before = await store.listPasswords('registry', R1);
    const { code, report } = await runImport(target.address, '--dump', DUMP, '--passwords-file', passwordsFile);
    assert.equal(code, 0);
    assert.deepEqual(report.summary, { create: 0, update: 0, unchanged: 6, conflict: 0, error: 0 });
    assert.deepEqual(await store.listPasswords('registry', R1), before, 'existing password hashes are kept');
  });

  await t.test('a changed field in the source is an UPDATE that names the change', async (t2) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-dump-'));
    t2.after(() => rm(dir, { recursive: true, force: true }));
    await cp(DUMP, dir, { recursive: true });
    const file = path.join(dir, 'registries.json');
    const registries = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;
    registries[0]!.description = 'Greenhouse sensors, moved';
    await writeFile(file, JSON.stringify(registries));
    const { code, report } = await runImport(target.address, '--dump', dir);
    assert.equal(code, 0);
    const row = report.resources.find((r) => r.id === R1)!;
    assert.equal(row.action, 'UPDATE');
    assert.deepEqual(row.changes, ['description: Greenhouse sensors -> Greenhouse sensors, moved']);
    assert.equal((await store.getRegistry(R1))!.description, 'Greenhouse sensors, moved');
  });

  await t.test('conflicts are reported per resource and leave nothing partial', async () => {
    const conflictDump = path.join(FIXTURES, 'yandex-dump-conflict');
    const dry = await runImport(target.address, '--dump', conflictDump, '--dry-run');
    assert.equal(dry.code, 1, 'a plan with conflicts exits non-zero');
    const { code, report } = await runImport(target.address, '--dump', conflictDump);
    assert.equal(code, 1);
    for (const run of [dry.report, report]) {
      const byId = Object.fromEntries(run.resources.map((row) => [row.id, row]));
      assert.equal(byId.arefixtureregistry09!.action, 'CONFLICT');
      assert.match(byId.arefixtureregistry09!.conflicts.join(), /name "greenhouse" is taken by registry arefixtureregistry01/);
      assert.equal(byId.arefixturedevice0009!.action, 'CONFLICT');
      assert.match(byId.arefixturedevice0009!.conflicts.join(), new RegExp(`already attached to device ${D1}`));
    }
    assert.equal(await store.getRegistry('arefixtureregistry09'), undefined);
    assert.equal(await store.getDevice('arefixturedevice0009'), undefined);
    assert.equal(
      await store.findCertificate('82227eacc5d0a09bdce79bd97adb44d0f9b65729'),
      undefined,
      "the conflicting device's other certificate was not attached",
    );
    assert.equal(
      (await store.findCertificate('0111844b13ddd12610016648ea6d66b00f994222'))!.owner_id,
      D1,
      'the certificate stays where it was',
    );
    assert.ok(await store.getRegistry('arefixtureregistry08'), 'a resource without conflicts is still imported');
  });

  await t.test('a broken dump is refused with the file named', async (t2) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-dump-'));
    t2.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'registries.json'), '{"registries": []}');
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [CLI, '--endpoint', target.address, '--plaintext', '--token', ADMIN_TOKEN, 'import', 'yandex', '--dump', dir],
        (error, _stdout, stderr) => resolve({ code: error ? 1 : 0, stderr }),
      ),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /registries\.json: expected a JSON array/);
    assert.ok((await stat(dir)).isDirectory());
  });
});

test('devices imported several at a time: of two that clash in the dump, the first is created and the second refused, as one at a time', async (t) => {
  const target = await startApi();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-clash-'));
  t.after(async () => {
    await target.close();
    await rm(dir, { recursive: true, force: true });
  });
  const certificates: string[] = [];
  for (const file of [
    `devices/${D1}/certificates.json`,
    'devices/arefixturedevice0002/certificates.json',
    `registries/${R1}/certificates.json`,
  ])
    certificates.push(
      ...(JSON.parse(await readFile(path.join(DUMP, file), 'utf8')) as Array<{ certificate_data: string }>).map((c) => c.certificate_data),
    );
  const registryId = 'areclashregistry0001';
  await writeFile(
    path.join(dir, 'registries.json'),
    JSON.stringify([{ id: registryId, folder_id: FOLDER, created_at: '2024-05-01T10:00:00Z', name: 'clashes', status: 'ACTIVE' }]),
  );
  // Pairs (2k, 2k+1), sent in flight together unless the importer holds the second back: the same
  // name, an alias that is a prefix of the other's, or the same certificate; a device apart after each.
  const PAIRS = 9;
  const devices: Array<Record<string, unknown>> = [];
  const expected: Record<string, [string, RegExp?]> = {};
  for (let k = 0; k < PAIRS; k++) {
    const [first, second, apart] = [0, 1, 2].map((n) => `areclash${String(k * 3 + n).padStart(12, '0')}`) as [string, string, string];
    const kind = k % 3;
    const device = (id: string, name: string, topic_aliases: Record<string, string> = {}) =>
      devices.push({ id, registry_id: registryId, created_at: '2024-05-01T10:00:00Z', name, topic_aliases, status: 'ACTIVE' });
    if (kind === 0) {
      device(first, `same-${k}`);
      device(second, `same-${k}`);
      expected[second] = ['CONFLICT', new RegExp(`name "same-${k}" is taken by device ${first}`)];
    } else if (kind === 1) {
      device(first, `alias-${k}`, { [`p/${k}/`]: '$devices/{id}/events/' });
      device(second, `alias-${k}-longer`, { [`p/${k}/x/`]: '$devices/{id}/events/' });
      expected[second] = ['CONFLICT', new RegExp(`conflicts with alias "p/${k}/" of device ${first}`)];
    } else {
      device(first, `certificate-${k}`);
      device(second, `certificate-${k}-again`);
      for (const id of [first, second]) {
        await mkdir(path.join(dir, 'devices', id), { recursive: true });
        const certificate_data = certificates[(k - 2) / 3]!;
        await writeFile(path.join(dir, 'devices', id, 'certificates.json'), JSON.stringify([{ device_id: id, certificate_data }]));
      }
      expected[second] = ['CONFLICT', new RegExp(`already attached to device ${first}`)];
    }
    device(apart, `apart-${k}`);
    expected[first] = ['CREATE'];
    expected[apart] = ['CREATE'];
  }
  await mkdir(path.join(dir, 'registries', registryId), { recursive: true });
  await writeFile(path.join(dir, 'registries', registryId, 'devices.json'), JSON.stringify(devices));

  const { code, report, stderr } = await runImport(target.address, '--dump', dir);
  assert.equal(code, 1, stderr);
  const rows = report.resources.filter((row) => row.kind === 'device');
  assert.deepEqual(
    rows.map((row) => row.id),
    devices.map((device) => device.id),
    'rows in the order of the dump',
  );
  for (const row of rows) {
    const [action, conflict] = expected[row.id]!;
    assert.equal(row.action, action, `${row.id}: ${row.conflicts.join('; ')}`);
    if (conflict) assert.match(row.conflicts.join('; '), conflict);
    assert.equal(Boolean(await target.store.getDevice(row.id)), action === 'CREATE', `${row.id} stored only if created`);
  }
});

test('a reader that goes away (`iotcore import yandex --dry-run | head`) ends the command quietly, not with an EPIPE crash', async (t) => {
  const target = await startApi();
  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-epipe-'));
  t.after(async () => {
    await target.close();
    await rm(work, { recursive: true, force: true });
  });
  // A plan far longer than a pipe's buffer, so the CLI is still writing when the reader leaves.
  await writeYcDump(path.join(work, 'dump'), { devices: 3000, aliasEvery: 0, certificateEvery: 0 });
  const child = spawn(process.execPath, [
    CLI,
    '--endpoint',
    target.address,
    '--plaintext',
    '--token',
    ADMIN_TOKEN,
    'import',
    'yandex',
    '--dump',
    path.join(work, 'dump'),
    '--dry-run',
  ]);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [first] = (await once(child.stdout, 'data')) as [Buffer];
  assert.match(first.toString(), /^ACTION/);
  child.stdout.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});
