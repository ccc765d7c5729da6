// Every command-line entry point answers --help with its usage (exit 0) and a wrong option with
// the error, a usage line and exit code 2 — never a stack trace:
//   - every command of the `iotcore` tree, in process (60 commands: a process each would be slow);
//   - the real `iotcore` bin file (executable after `npm run build`), and `npm run bench`, `npm run bench:fleet`,
//     `npm run bench:micro`, `npm run loadtest:k6`, `npm run fuzz` and `npm test` as a person runs them, in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { iotcoreProgram } from '../../services/cli/program.js';
import { usageExitCode } from '../../services/cli/usage-errors.js';
import { REPO_ROOT } from '../support/tools.js';
import { CLI } from '../support/serve-process.js';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every command of the tree with its path: [], ['serve'], ['registry'], ['registry', 'create'], … */
function commandPaths(command: Command, prefix: string[] = []): Array<{ names: string[]; command: Command }> {
  return [
    { names: prefix, command },
    ...command.commands.flatMap((subcommand) => commandPaths(subcommand, [...prefix, subcommand.name()])),
  ];
}

/** Parses argv with a fresh `iotcore` tree whose output is captured; the exit code main.ts would use. */
async function parseInProcess(argv: string[]): Promise<Outcome> {
  const program = iotcoreProgram();
  const outcome: Outcome = { code: null, stdout: '', stderr: '' };
  const capture = (command: Command) => {
    command.configureOutput({ writeOut: (text) => void (outcome.stdout += text), writeErr: (text) => void (outcome.stderr += text) });
    command.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    assert.fail(`iotcore ${argv.join(' ')} ran its action instead of answering`);
  } catch (error) {
    const code = usageExitCode(error);
    assert.notEqual(code, undefined, `iotcore ${argv.join(' ')} threw ${(error as Error).stack}`);
    outcome.code = code!;
  }
  return outcome;
}

function run(command: string, args: string[]): Promise<Outcome> {
  // npm and `node` scripts run on the Node running this test, not whichever comes first on PATH.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('every iotcore command answers --help with its usage and exit 0', async () => {
  const paths = commandPaths(iotcoreProgram());
  assert.ok(paths.length >= 50, `the whole tree is walked (${paths.length} commands)`);
  for (const { names } of paths) {
    const { code, stdout, stderr } = await parseInProcess([...names, '--help']);
    const shown = ['iotcore', ...names].join(' ');
    assert.equal(code, 0, `${shown} --help exits 0\n${stderr}`);
    assert.match(stdout, new RegExp(`^Usage: ${shown}(?:\\|[a-z-]+)? `), `${shown} --help prints its usage\n${stdout}`);
    assert.equal(stderr, '', `${shown} --help writes nothing to stderr`);
  }
});

test('every iotcore command answers a wrong option with the error, its usage line and exit 2', async () => {
  for (const { names, command } of commandPaths(iotcoreProgram())) {
    const shown = ['iotcore', ...names].join(' ');
    const { code, stdout, stderr } = await parseInProcess([...names, '--bogus-option']);
    assert.equal(code, 2, `${shown} --bogus-option exits 2\n${stderr}`);
    // Commander reports a missing required option (-t of mqtt, --labels, …) before an unknown one.
    const first = command.options.some((option) => option.mandatory)
      ? /^error: required option '[^']+' not specified\n/
      : /^error: unknown option '--bogus-option'\n/;
    assert.match(stderr, first, shown);
    assert.ok(stderr.includes(`\nusage: ${shown} `), `${shown}: its usage line\n${stderr}`);
    assert.equal(stdout, '', shown);
  }
});

test('iotcore: bad values, missing options and unknown commands are usage errors too (exit 2)', async () => {
  const cases: Array<[argv: string[], error: RegExp, usage: string]> = [
    [['--format', 'xml', 'registry', 'list'], /argument 'xml' is invalid/, 'usage: iotcore [options] [command]'],
    [['nosuch'], /unknown command 'nosuch'/, 'usage: iotcore [options] [command]'],
    [['device', 'list', '--limit', 'many'], /argument 'many' is invalid\. Expected a whole number/, 'usage: iotcore device list [options]'],
    [['mqtt', 'publish', '-t', 'a', '-q', '2'], /argument '2' is invalid\. Expected 0\|1/, 'usage: iotcore mqtt publish [options]'],
    [['mqtt', 'subscribe'], /required option '-t, --topic <topic>' not specified/, 'usage: iotcore mqtt subscribe [options]'],
    [
      ['token', 'create', '--role', 'iot.viewer', '--expires-in', 'soon'],
      /argument 'soon' is invalid\. Expected a duration such as 500ms, 30s/,
      'usage: iotcore token create [options]',
    ],
    [
      ['serve', '--max-message-bytes', 'lots'],
      /--max-message-bytes \(IOTCORE_MAX_MESSAGE_BYTES\): not a non-negative integer: lots/,
      'usage: iotcore serve [options]',
    ],
    [['serve', '--redis-url', 'http://cache:6379'], /--redis-url \(IOTCORE_REDIS_URL\): not a Redis URL/, 'usage: iotcore serve [options]'],
  ];
  for (const [argv, error, usage] of cases) {
    const outcome = await parseInProcess(argv);
    assert.equal(outcome.code, 2, `iotcore ${argv.join(' ')}\n${outcome.stderr}`);
    assert.match(outcome.stderr, error);
    assert.ok(outcome.stderr.includes(usage), `${argv.join(' ')}: ${usage}\n${outcome.stderr}`);
  }
});

test('the built iotcore bin file is executable and exits 0 on --help, 2 on a wrong option', async () => {
  const mode = (await stat(CLI)).mode;
  assert.equal(mode & 0o111, 0o111, `npm run build makes ${path.relative(REPO_ROOT, CLI)} executable (mode ${mode.toString(8)})`);
  const help = await run(CLI, ['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: iotcore \[options\] \[command\]/);
  const wrong = await run(CLI, ['device', 'get', '--bogus']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.equal(wrong.stderr, "error: unknown option '--bogus'\nusage: iotcore device get [options] [NAME|ID]\n(add --help for details)\n");
  assert.doesNotMatch(wrong.stderr, /\n\s+at /, 'no stack trace');
});

const FUZZ_USAGE = 'usage: npm run fuzz -- [--runs N] [--target NAME] [--seed S [--path P]] [--time-limit SECONDS]';

test('npm run bench, npm run bench:fleet, npm run bench:micro, npm run loadtest:k6, npm run fuzz and npm test answer --help (exit 0) and a wrong option (exit 2)', {
  timeout: 120_000,
}, async () => {
  const entries: Array<{ script: string[]; usage: string; wrong: string[]; error: RegExp }> = [
    {
      script: ['run', 'bench'],
      usage: 'usage: npm run bench -- [options]',
      wrong: ['--bogus'],
      error: /^error: Unknown option '--bogus'/m,
    },
    {
      script: ['run', 'bench'],
      usage: 'usage: npm run bench -- [options]',
      wrong: ['--only', 'a,z'],
      error: /^error: --only a,z: expected a comma-separated list of a, b, c, d, e, f, g, h$/m,
    },
    {
      script: ['run', 'bench:fleet'],
      usage: 'usage: npm run bench:fleet -- [options]',
      wrong: ['--reconnect-rounds', 'many'],
      error: /^error: --reconnect-rounds many: expected an integer ≥ 1$/m,
    },
    {
      script: ['run', 'bench:fleet'],
      usage: 'usage: npm run bench:fleet -- [options]',
      wrong: ['--store', 'mongodb'],
      error: /^error: --store mongodb: expected one of embedded, mongo$/m,
    },
    {
      script: ['run', 'bench:micro'],
      usage: 'usage: npm run bench:micro -- [options]',
      wrong: ['--bogus'],
      error: /^error: Unknown option '--bogus'/m,
    },
    {
      script: ['run', 'bench:micro'],
      usage: 'usage: npm run bench:micro -- [options]',
      wrong: ['--only', 'policy,nosuch'],
      error: /^error: --only policy,nosuch: expected a comma-separated list of policy, filters, aliases, dedup, mqtt-packet$/m,
    },
    {
      script: ['run', 'loadtest:k6'],
      usage: 'usage: npm run loadtest:k6 -- <telemetry|consumers|commands|connect-storm> [options]',
      wrong: ['telemetry', '--bogus'],
      error: /^error: Unknown option '--bogus'/m,
    },
    {
      script: ['run', 'loadtest:k6'],
      usage: 'usage: npm run loadtest:k6 -- <telemetry|consumers|commands|connect-storm> [options]',
      wrong: ['nosuch'],
      error: /^error: unknown scenario nosuch$/m,
    },
    { script: ['run', 'fuzz'], usage: FUZZ_USAGE, wrong: ['--bogus'], error: /^error: Unknown option '--bogus'/m },
    {
      script: ['run', 'fuzz'],
      usage: FUZZ_USAGE,
      wrong: ['--target', 'nope'],
      error: /^error: --target nope: expected one of mqtt-packets, topics, aliases-and-me, acl, api-requests$/m,
    },
    // --ignore-scripts keeps npm from running pretest (the build and provisioning) first.
    {
      script: ['test', '--ignore-scripts'],
      usage: 'usage: npm test -- [SUBSTRING...]',
      wrong: ['--bogus'],
      error: /^error: unknown option '--bogus'$/m,
    },
  ];
  for (const { script, usage, wrong, error } of entries) {
    const shown = `npm ${script.join(' ')}`;
    const help = await run('npm', [...script, '--silent', '--', '--help']);
    assert.equal(help.code, 0, `${shown} -- --help\n${help.stderr}`);
    assert.ok(help.stdout.startsWith(usage), `${shown} -- --help prints the usage\n${help.stdout}`);
    const bad = await run('npm', [...script, '--silent', '--', ...wrong]);
    assert.equal(bad.code, 2, `${shown} -- ${wrong.join(' ')} exits 2\n${bad.stderr}`);
    assert.match(bad.stderr, error, shown);
    assert.ok(bad.stderr.includes(usage.split('   ')[0]!), `${shown}: the usage line\n${bad.stderr}`);
    assert.doesNotMatch(bad.stderr, /ERR_PARSE_ARGS|\n\s+at /, `${shown}: no stack trace`);
  }
});
