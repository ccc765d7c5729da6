// Keeps `npm run bench` working: a quick run (a small fleet, half-second measurements) against
// every broker of the real benchmark must produce a figure for each measurement and each broker,
// with every client connected. Timings are printed, never asserted: this machine is shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBench } from './run-bench.js';
import { MEASUREMENTS, type Row } from '../../loadtest/bench/report.js';

test('npm run bench -- --quick measures every scenario on every broker', { timeout: 300_000 }, async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'iotcore-bench-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const output = await runBench('bench/main.js', ['--quick', '--out', out]);

  const report = JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8')) as {
    rows: Row[];
    results: Record<string, Record<string, number>>;
  };
  assert.deepEqual(
    report.rows.map((row) => row.id),
    MEASUREMENTS.map((m) => m.id),
    'a row for every measurement',
  );
  for (const row of report.rows) {
    assert.ok(Number.isFinite(row.iotcore), `${row.id}: iotcore has a figure`);
    for (const [broker, value] of Object.entries(row.baselines)) assert.ok(Number.isFinite(value), `${row.id}: ${broker} has a figure`);
  }
  for (const [broker, figures] of Object.entries(report.results)) {
    const failures = Object.keys(figures).filter((key) => /failures|errors|crashed/.test(key));
    assert.deepEqual(failures, [], `${broker}: every client connected and no MQTT errors`);
    if ('e.connections' in figures) assert.equal(figures['e.connections'], 40, `${broker} held every idle connection`);
  }
  assert.match(await readFile(path.join(out, 'bench.md'), 'utf8'), /\| \(a\) fan-in QoS 1 \| msg\/s \|/);
  t.diagnostic(
    output
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .join('\n'),
  );
});

test('npm run bench -- --rounds 2 alternates the brokers and notes each round', { timeout: 120_000 }, async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'iotcore-bench-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const output = await runBench('bench/main.js', ['--quick', '--only', 'b', '--brokers', 'aedes,iotcore', '--rounds', '2', '--out', out]);
  assert.deepEqual(
    output.split('\n').filter((line) => line.startsWith('bench: commands')),
    [1, 2].flatMap((round) =>
      [`plain aedes (round ${round} of 2)`, `iotcore (round ${round} of 2)`].map(
        (name) => `bench: commands: registry → 20 devices — ${name}`,
      ),
    ),
  );
  assert.match(await readFile(path.join(out, 'bench.md'), 'utf8'), /QoS 1 ÷ plain aedes, round by round: [\d.]+×, [\d.]+×\n/);
});
