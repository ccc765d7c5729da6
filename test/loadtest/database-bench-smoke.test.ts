// Keeps `npm run bench:database -- --only wills` working: a run at the smallest size prints a row
// of figures for each store, aedes' cells and iotcore's. Timings are printed, never asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from './run-bench.js';

test('npm run bench:database -- --only wills prints a row of figures per store', { timeout: 120_000 }, async (t) => {
  const output = await runBench('database/main.js', ['--only', 'wills', '--sizes', '10', '--seconds', '1', '--backends', 'sqlite']);
  const rows = output.split('\n').filter((line) => /^\| (LevelDB|FerretDB)/.test(line));
  // Each row is printed as it is measured, then again in its table.
  assert.equal(rows.length, 4, output);
  for (const row of rows) {
    const cells = row
      .split('|')
      .slice(3, -1)
      .map((cell) => cell.trim());
    assert.equal(cells.length, 6, row);
    for (const cell of cells) assert.match(cell, /^([\d,.]+|–)$/, row);
  }
  t.diagnostic(rows.join('\n'));
});
