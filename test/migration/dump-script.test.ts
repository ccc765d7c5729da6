// scripts/yandex-dump.sh against a stand-in `yc`: iotcore's CLI speaks yc's commands and prints
// yc's `--format json`, so a `yc` that forwards to it shows the script writes a dump that
// `iotcore import yandex --dump` reads back completely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, startApi } from '../registry/api/harness.js';
import { makeCertificate } from '../support/certificates.js';
import { CLI } from '../support/serve-process.js';

const run = promisify(execFile);
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/yandex-dump.sh');
const FOLDER = 'b1gdumpscriptfolder1';

test('scripts/yandex-dump.sh writes a dump that imports completely', async (t) => {
  const source = await startApi();
  const target = await startApi();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-dump-script-'));
  t.after(async () => {
    await Promise.all([source.close(), target.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  const iotcore = (endpoint: string, ...args: string[]) =>
    run(process.execPath, [CLI, '--endpoint', endpoint, '--plaintext', '--token', ADMIN_TOKEN, '--folder-id', FOLDER, ...args]);
  const cert = makeCertificate('dumped-device');
  await iotcore(source.address, 'registry', 'create', '--name', 'plant', '--password', 'Registry-Passw0rd-1');
  await iotcore(
    source.address,
    'device',
    'create',
    '--registry-name',
    'plant',
    '--name',
    'd1',
    '--certificate-file',
    cert.certFile,
    '--topic-aliases',
    'p/d1/=$devices/{id}/events/',
  );
  await iotcore(source.address, 'broker', 'create', '--name', 'b1', '--password', 'Broker-Passw0rd-1');
  await iotcore(
    source.address,
    'registry',
    'yds-export',
    'add',
    '--registry-name',
    'plant',
    '--database',
    'db',
    '--stream',
    'plant-telemetry',
  );
  // What `yc serverless trigger list --format json` prints: an IoT trigger and a timer.
  const triggers = path.join(dir, 'triggers-source.json');
  await writeFile(
    triggers,
    JSON.stringify([
      {
        id: 'a1sdumpedtrigger0001',
        folder_id: FOLDER,
        name: 'telemetry-to-function',
        rule: {
          iot_message: {
            registry_id: 'areregistry000000001',
            mqtt_topic: '$devices/+/events',
            batch_settings: { size: '10', cutoff: '5s' },
            invoke_function: {
              function_id: 'd4efunction000000001',
              function_tag: '$latest',
              retry_settings: { retry_attempts: '3', interval: '10s' },
            },
          },
        },
        status: 'ACTIVE',
      },
      {
        id: 'a1sdumpedtrigger0002',
        folder_id: FOLDER,
        name: 'nightly',
        rule: { timer: { cron_expression: '0 3 ? * * *' } },
        status: 'ACTIVE',
      },
    ]),
  );

  // `yc iot <args>` → `iotcore <args>` against the source.
  const bin = path.join(dir, 'bin');
  await run('mkdir', ['-p', bin]);
  await writeFile(
    path.join(bin, 'yc'),
    `#!/bin/sh\n[ "$1" = serverless ] && exec cat "${triggers}"\n[ "$1" = iot ] || exit 2\nshift\nexec "${process.execPath}" "${CLI}" --endpoint "${source.address}" --plaintext --token "${ADMIN_TOKEN}" "$@"\n`,
  );
  await chmod(path.join(bin, 'yc'), 0o755);
  const dump = path.join(dir, 'dump');
  await run('bash', [SCRIPT, dump, FOLDER], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

  const { stdout } = await iotcore(target.address, '--format', 'json', 'import', 'yandex', '--dump', dump);
  const report = JSON.parse(stdout) as {
    summary: Record<string, number>;
    resources: Array<{ kind: string; action: string; changes: string[]; passwords_missing: string[] }>;
  };
  assert.deepEqual(report.summary, { create: 4, update: 0, unchanged: 0, conflict: 0, error: 0, manual: 1, skipped: 1 });
  assert.deepEqual(
    report.resources.map((row) => [row.kind, row.action, row.passwords_missing.length]),
    [
      ['registry', 'CREATE', 1],
      ['yds_export', 'CREATE', 0],
      ['device', 'CREATE', 0],
      ['broker', 'CREATE', 1],
      ['trigger', 'MANUAL', 0],
      ['trigger', 'SKIPPED', 0],
    ],
  );
  const manual = report.resources.find((row) => row.action === 'MANUAL')!;
  assert.equal(
    manual.changes[0],
    "iotcore trigger create --name telemetry-to-function --registry-id areregistry000000001 --mqtt-topic '$devices/+/events' --batch-size 10 --batch-cutoff 5000ms --retry-attempts 3 --retry-interval 10000ms --url <URL>",
  );
  assert.match(manual.changes[1]!, /function d4efunction000000001 \(\$latest\)/);

  const [registry] = (await source.store.listRegistries(FOLDER, { page_size: 10, page_token: '' })).items;
  const [device] = (await source.store.listDevices({ registry_id: registry!.id }, { page_size: 10, page_token: '' })).items;
  assert.deepEqual(await target.store.getRegistry(registry!.id), registry);
  assert.deepEqual({ ...(await target.store.getDevice(device!.id))!, monitoring: {} }, { ...device!, monitoring: {} });
  assert.deepEqual(await target.store.listCertificates('device', device!.id), await source.store.listCertificates('device', device!.id));
  assert.deepEqual(await target.store.listPasswords('registry', registry!.id), [], 'no plaintext, so no password: reported as missing');
  assert.deepEqual(
    (await target.store.listDataStreamExports(registry!.id)).map(({ stream, database }) => [stream, database]),
    [['plant-telemetry', 'db']],
  );

  // A rerun finds the export in place and still lists the trigger.
  const rerun = JSON.parse((await iotcore(target.address, '--format', 'json', 'import', 'yandex', '--dump', dump)).stdout) as typeof report;
  assert.deepEqual(rerun.summary, { create: 0, update: 0, unchanged: 4, conflict: 0, error: 0, manual: 1, skipped: 1 });
});
