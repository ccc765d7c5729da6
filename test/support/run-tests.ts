// `npm test`: starts Redis and the MongoDB-compatible server once (unless REDIS_URL / MONGO_URL
// are given), hands their URLs to every test file, and runs node:test over dist/test.
// Arguments filter test files by substring: `npm test -- registry/api`.
// `--unit` (`npm run test:unit`): only the socket-free `*.unit.test.ts` files, no servers started.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mongoUrl, redisUrl } from './servers.js';
import { REPO_ROOT } from './tools.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return testFiles(full);
    return entry.endsWith('.test.js') ? [full] : [];
  });
}

const USAGE =
  'usage: npm test -- [SUBSTRING...]   (the test files whose path contains a SUBSTRING; every file when none)\n       npm run test:unit [-- SUBSTRING...]   (only the socket-free *.unit.test.ts files, no servers)';

/** The substrings to filter by; --help answers with the usage (exit 0), any other option is a usage error (exit 2). */
function filtersFromArguments(args: string[]): string[] {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const option = args.find((arg) => arg.startsWith('-') && arg !== '--unit');
  if (option) {
    console.error(`error: unknown option '${option}'\n${USAGE}`);
    process.exit(2);
  }
  return args;
}

async function main(): Promise<void> {
  const unit = process.argv.includes('--unit');
  const filters = filtersFromArguments(process.argv.slice(2)).filter((argument) => argument !== '--unit');
  const files = testFiles(path.join(REPO_ROOT, 'dist/test'))
    .sort()
    .filter((file) => !unit || file.endsWith('.unit.test.js'))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));
  if (unit) return run(files, {});
  const [redis, mongo] = await Promise.all([redisUrl(), mongoUrl()]);
  console.log(
    `test servers: redis ${redis}${process.env.REDIS_URL ? ' (REDIS_URL)' : ''}, mongo ${mongo}${process.env.MONGO_URL ? ' (MONGO_URL)' : ''}`,
  );
  // Every `iotcore serve` a test starts (several registries at once in test/cluster/) gets its REST
  // gateway on a free loopback port instead of the default 0.0.0.0:8443, unless the test says otherwise.
  await run(files, { REDIS_URL: redis, MONGO_URL: mongo, IOTCORE_REST_LISTEN: '127.0.0.1:0' });
}

/**
 * Node's on-disk compile cache for every process of the run: the test files and the hundreds of
 * `iotcore serve` and CLI processes they start (each compiled dist/ and node_modules anew, a
 * quarter of a CLI run's CPU). Keyed by file content and Node version, so a rebuild is never
 * served stale code; NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE=1 override it.
 */
const COMPILE_CACHE = path.join(os.tmpdir(), 'iotcore-test-compile-cache');

/**
 * Two test files at a time where there are two cores: most files spend their time waiting on the
 * servers and processes they start, so a second file cuts the run by a third (1,465 s → 914–1,008 s
 * on this 2-core machine). Every file gets its own ports, Redis key prefixes and database names, so
 * two never share state. Not more: the chaos tests run for a fixed time, and with two files at once
 * they already carry fewer messages across each kill (still hundreds).
 */
const FILES_AT_ONCE = Math.min(2, os.availableParallelism());

async function run(files: string[], env: Record<string, string>): Promise<never> {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${FILES_AT_ONCE}`, ...files], {
    stdio: 'inherit',
    env: { NODE_COMPILE_CACHE: COMPILE_CACHE, ...process.env, ...env },
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)));
  process.exit(code);
}

main().catch((error: unknown) => {
  console.error(`test run failed: ${(error as Error).message}`);
  process.exit(1);
});
