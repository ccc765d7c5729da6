// The k6 scenarios are not Node code (k6 runs them), so the main build does not see them: keep
// them type-correct against k6's types and our k6/x/mqtt module's declaration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/tools.js';

const execFileAsync = promisify(execFile);

test('the k6 scenarios type-check', { timeout: 120_000 }, async () => {
  const tsc = path.join(REPO_ROOT, 'node_modules/.bin/tsc');
  const result = await execFileAsync(tsc, ['-p', path.join(REPO_ROOT, 'loadtest/k6/tsconfig.json')]).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
  assert.equal(result, '');
});
