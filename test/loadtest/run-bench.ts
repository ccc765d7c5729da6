// Runs one of the built benchmark commands to its end, as `npm run bench…` would, for the smoke
// tests: it must exit 0 (the failure message carries everything it printed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/tools.js';

/** `script` relative to dist/loadtest, e.g. 'bench/main.js'; resolves with what it printed. */
export async function runBench(script: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/loadtest', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, output);
  return output;
}
