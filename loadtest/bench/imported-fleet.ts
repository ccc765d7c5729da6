// Scenario (h)'s fleet: a `yc --format json` dump of one registry and N devices, each with a
// Yandex password ID, and the passwords file a migrating user keeps from their own provisioning
// (`entity_id,password,password_id`), imported by `iotcore import yandex --dump --passwords-file`
// into a fresh `iotcore serve`, as on the day of a migration.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, waitForPort } from '../../test/support/ports.js';
import { writeYcDump } from '../fleet/yc-dump.js';
import { CLI, startIotcore, type RunningBroker, type TlsFiles } from './brokers.js';
import type { Fleet } from './fleet.js';

/** What import.json records: the fleet's identities, not paths, so a moved work dir still finds its dump. */
interface ImportedIdentities {
  registry: Fleet['registry'];
  devices: Fleet['devices'];
}

interface ImportDump extends ImportedIdentities {
  dir: string;
  passwordsFile: string;
}

const passwordId = (prefix: string, index: number) => `${prefix}${index.toString(32).padStart(12, '0')}`;

/** The dump and passwords file of `size` devices under `dir`, written on first use (one RSA key pair: a second or two). */
async function ensureImportDump(dir: string, size: number): Promise<ImportDump> {
  const file = path.join(dir, 'import.json');
  const dumpDir = path.join(dir, 'dump');
  const passwordsFile = path.join(dir, 'passwords.csv');
  if (existsSync(file)) {
    const identities = JSON.parse(await readFile(file, 'utf8')) as ImportedIdentities;
    // Paths last: an import.json written before it stopped recording them has stale ones.
    if (identities.devices.length === size) return { ...identities, dir: dumpDir, passwordsFile };
  }
  await rm(dir, { recursive: true, force: true });
  // One alias and one certificate (device 0's): the import's other work stays negligible next to the passwords.
  const { registryId } = await writeYcDump(dumpDir, { devices: size, aliasEvery: size, certificateEvery: size });
  const created = '2024-05-01T10:00:00Z';
  const registry = { id: registryId, password: 'Imported-Registry-Passw0rd!', passwordId: passwordId('arepassreg', 0) };
  await writeFile(
    path.join(dumpDir, 'registries', registryId, 'passwords.json'),
    JSON.stringify([{ id: registry.passwordId, registry_id: registryId, created_at: created }]),
  );
  const listed = JSON.parse(await readFile(path.join(dumpDir, 'registries', registryId, 'devices.json'), 'utf8')) as Array<{ id: string }>;
  const devices = listed.map((device, index) => ({
    id: device.id,
    password: `Imported-Device-${index}-Passw0rd!`,
    passwordId: passwordId('arepassdev', index),
  }));
  for (const device of devices) {
    await mkdir(path.join(dumpDir, 'devices', device.id), { recursive: true });
    await writeFile(
      path.join(dumpDir, 'devices', device.id, 'passwords.json'),
      JSON.stringify([{ id: device.passwordId, device_id: device.id, created_at: created }]),
    );
  }
  const rows = [registry, ...devices].map((entity) => `${entity.id},${entity.password},${entity.passwordId}`);
  await writeFile(passwordsFile, `entity_id,password,password_id\n${rows.join('\n')}\n`, { mode: 0o600 });
  const identities: ImportedIdentities = {
    registry: { id: registry.id, password: registry.password },
    devices: devices.map(({ id, password }) => ({ id, password })),
  };
  await writeFile(file, JSON.stringify(identities));
  return { ...identities, dir: dumpDir, passwordsFile };
}

/**
 * A fresh `iotcore serve` (an empty data dir under `workDir`) into which the fleet of `size`
 * devices has just been imported with its passwords; the import's wall time comes back with it.
 */
export async function startImportedIotcore(options: {
  workDir: string;
  size: number;
  tls: TlsFiles;
  cpuProfileDir?: string;
}): Promise<{ broker: RunningBroker; fleet: Fleet; importSeconds: number }> {
  const dump = await ensureImportDump(path.join(options.workDir, `import-dump-${options.size}`), options.size);
  const dataDir = path.join(options.workDir, `imported-${process.pid}`);
  await rm(dataDir, { recursive: true, force: true });
  const apiPort = await freePort();
  const started = await startIotcore({ dataDir, apiPort, tls: options.tls, cpuProfileDir: options.cpuProfileDir });
  const broker: RunningBroker = {
    ...started,
    stop: async () => {
      await started.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitForPort(apiPort, 60_000, started.alive);
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const began = performance.now();
    await runImport([
      'import',
      'yandex',
      '--dump',
      dump.dir,
      '--passwords-file',
      dump.passwordsFile,
      '--format',
      'json',
      '--endpoint',
      `127.0.0.1:${apiPort}`,
      '--api-ca',
      path.join(dataDir, 'tls/ca.pem'),
      '--token',
      token,
    ]);
    const importSeconds = (performance.now() - began) / 1000;
    return { broker, fleet: { dataDir, token, registry: dump.registry, devices: dump.devices }, importSeconds };
  } catch (error) {
    await broker.stop();
    throw error;
  }
}

/** Runs the CLI's import; fails unless it exits 0 with every password supplied and none missing. */
function runImport(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => void (errors += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const fail = (why: string) => reject(new Error(`iotcore import yandex: ${why}\n${errors.slice(-1000)}${output.slice(-1000)}`));
      if (code !== 0) return fail(`exit ${code}`);
      const report = JSON.parse(output) as {
        resources: Array<{ action: string; passwords_missing: string[] }>;
      };
      const incomplete = report.resources.filter((row) => row.action !== 'CREATE' || row.passwords_missing.length > 0);
      if (incomplete.length > 0) return fail(`${incomplete.length} resources not created with their passwords`);
      resolve();
    });
  });
}
