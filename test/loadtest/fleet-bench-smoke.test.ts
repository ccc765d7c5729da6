// Keeps `npm run bench:fleet` working: a small run (300 devices, 4 password devices connecting over
// TLS, an import of a 200-device yc dump with aliases and certificates) must report every block,
// the CONNECT rates, the reads, and an import that creates everything and then finds everything
// unchanged; on the MongoDB store, the reads and the database's own floors under them. Timings are
// printed, never asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBench } from './run-bench.js';

test('npm run bench:fleet on a small fleet reports creates, reads and a complete import', { timeout: 300_000 }, async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'iotcore-fleet-bench-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  // A small CONNECT sample: each first-time CONNECT costs a slow password hash.
  const sample = 4;
  const args = [
    '--devices',
    '300',
    '--block',
    '100',
    '--alias-every',
    '10',
    '--import-devices',
    '200',
    '--connect-sample',
    String(sample),
    '--reconnect-rounds',
    '3',
    '--out',
    out,
  ];
  await runBench('fleet/main.js', args);
  const report = await readFile(path.join(out, 'fleet-embedded.md'), 'utf8');
  t.diagnostic(report);
  assert.equal([...report.matchAll(/^\| \d+–\d+ \| \d+ \|/gm)].length, 3, 'a row per block of 100');
  const total = 300 + sample;
  assert.match(
    report,
    new RegExp(`^\\| ${total} \\| \\d+ s \\| [\\d.]+ \\| [\\d.]+ \\| \\d+, \\d+, \\d+ \\|$`, 'm'),
    'first-time and reconnect CONNECT/s, with the three reconnect rounds',
  );
  assert.match(report, new RegExp(`all ${total} devices in 1 pages`));
  assert.match(report, new RegExp(`GetDevice at ${total} devices`));
  assert.match(report, /200 devices in one registry, 20 with an alias, 10 with a certificate/);
  assert.match(report, /first run: .*\(exit 0\).*"create":201,"update":0,"unchanged":0,"conflict":0,"error":0/);
  assert.match(report, /re-run .*\(exit 0\).*"create":0,"update":0,"unchanged":201,"conflict":0,"error":0/);
});

test('npm run bench:fleet on the MongoDB store reports its reads and the database floors under them', { timeout: 300_000 }, async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'iotcore-fleet-bench-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const args = ['--store', 'mongo', '--devices', '100', '--block', '50', '--import-devices', '0', '--out', out];
  await runBench('fleet/main.js', args);
  const report = await readFile(path.join(out, process.env.MONGO_URL ? 'fleet-mongo.md' : 'fleet-mongo-postgresql.md'), 'utf8');
  t.diagnostic(report);
  assert.equal([...report.matchAll(/^\| \d+–\d+ \| \d+ \|/gm)].length, 2, 'a row per block of 50');
  assert.match(report, /all 100 devices in 1 pages/);
  assert.match(report, /GetDevice at 100 devices .*: p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(report, /the database's own floor: 100 device documents read straight from it, no filter, no sort: \d+ ms/);
  assert.match(report, /the database's own floor: one device document by ID .*: p50 [\d.]+ ms, p99 [\d.]+ ms/);
});
