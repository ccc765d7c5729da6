// .ci/ensure-node.sh, which gives .ci/run its Node 24: the machine's own when it is a Node 24,
// else one fetched into .tools/, else a failure that says what is missing. Each case runs a copy of
// the script in a scratch checkout with stand-ins for `node`, `npm` and `uname` first on PATH (the
// fetch itself is what every `.ci/run` on an older machine does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/tools.js';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch checkout holding only .ci/ensure-node.sh, and a bin dir for stand-ins. */
async function scratch(t: { after(fn: () => Promise<void>): void }): Promise<{ root: string; bin: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'iotcore-ensure-node-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(path.join(root, '.ci'));
  await copyFile(path.join(REPO_ROOT, '.ci/ensure-node.sh'), path.join(root, '.ci/ensure-node.sh'));
  const bin = path.join(root, 'stand-ins');
  await mkdir(bin);
  return { root, bin };
}

async function standIn(bin: string, name: string, script: string): Promise<void> {
  await writeFile(path.join(bin, name), `#!/bin/sh\n${script}\n`);
  await chmod(path.join(bin, name), 0o755);
}

/** A `node` that claims to be v20.19.0 (what ensure-node.sh asks it: -p <major>, --version). */
const OLD_NODE = 'case "$1" in -p) echo 20 ;; --version) echo v20.19.0 ;; *) exit 1 ;; esac';

function ensureNode(root: string, pathPrefix: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(root, '.ci/ensure-node.sh')],
      { env: { ...process.env, PATH: `${pathPrefix}:/usr/bin:/bin` }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

test('a machine Node 24 is used as it is: its directory, nothing fetched', async (t) => {
  const { root, bin } = await scratch(t);
  await standIn(bin, 'node', 'case "$1" in -p) echo 24 ;; --version) echo v24.1.0 ;; *) exit 1 ;; esac');
  await standIn(bin, 'npm', 'echo "npm must not be asked" >&2; exit 1');
  const outcome = await ensureNode(root, bin);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.stdout.trim(), bin);
  assert.equal(outcome.stderr, '', 'no fetch');
});

test('an older Node and no registry: exit 1, naming the machine Node, the package and the way out', async (t) => {
  const { root, bin } = await scratch(t);
  await standIn(bin, 'node', OLD_NODE);
  await standIn(bin, 'npm', 'echo "npm error code ENOTFOUND" >&2; exit 1');
  const outcome = await ensureNode(root, bin);
  assert.equal(outcome.code, 1);
  assert.equal(outcome.stdout, '', 'no path printed');
  assert.match(
    outcome.stderr,
    /ensure-node: could not fetch node-linux-(?:x64|arm64)@24\.\d+\.\d+ from the npm registry \(machine's Node: v20\.19\.0\): install Node 24 or make the registry reachable/,
  );
});

test('an older Node on a platform the script cannot fetch for: exit 1 saying so', async (t) => {
  const { root, bin } = await scratch(t);
  await standIn(bin, 'node', OLD_NODE);
  await standIn(bin, 'uname', 'case "$1" in -s) echo FreeBSD ;; -m) echo amd64 ;; esac');
  const outcome = await ensureNode(root, bin);
  assert.equal(outcome.code, 1);
  assert.match(
    outcome.stderr,
    /the machine's Node is v20\.19\.0, and Node 24 is fetched only for Linux x86_64\/aarch64 \(this is FreeBSD amd64\): install Node 24/,
  );
});

for (const [machine, stand] of [
  ['an older Node', OLD_NODE],
  ['a newer Node (26)', 'case "$1" in -p) echo 26 ;; --version) echo v26.1.0 ;; *) exit 1 ;; esac'],
]) {
  test(`${machine} and a Node 24 already in .tools/: that one (the image's major), without asking the registry`, async (t) => {
    const { root, bin } = await scratch(t);
    await standIn(bin, 'node', stand!);
    await standIn(bin, 'npm', 'echo "npm must not be asked" >&2; exit 1');
    const version = /^NODE_VERSION=(\S+)$/m.exec(await readFile(path.join(root, '.ci/ensure-node.sh'), 'utf8'))![1]!;
    const provisioned = path.join(root, `.tools/node-v${version}/bin`);
    await mkdir(provisioned, { recursive: true });
    await standIn(provisioned, 'node', `echo v${version}`);
    const outcome = await ensureNode(root, bin);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout.trim(), provisioned);
  });
}
