// A short run of every fuzz target on every `npm test` and `npm run test:unit`: a few seconds, a new
// seed each time (a failure prints the seed and path that replay it with `npm run fuzz`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './all-targets.js';
import { runTarget } from './run-target.js';

/** Inputs per target: the in-process broker and API targets cost about a millisecond an input. */
const RUNS: Record<string, number> = { 'mqtt-packets': 400, 'api-requests': 400 };
const PURE_RUNS = 2000;

for (const target of TARGETS) {
  test(`fuzz smoke: ${target.name}`, async () => {
    const result = await runTarget(target, { runs: RUNS[target.name] ?? PURE_RUNS });
    assert.ok(
      result.failure === undefined,
      `${target.name} failed:\n${result.failure}\nreplay: npm run fuzz -- --target ${target.name} --seed=${result.seed}`,
    );
  });
}
