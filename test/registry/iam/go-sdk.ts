// Yandex's Go SDK (`github.com/yandex-cloud/go-sdk/v2` from the Go module proxy, pinned in
// test/tools/yandex-go-sdk/go.mod) in a small program built into .tools/yandex-go-sdk/ by
// provision.ts (or by the test when run alone), again when its source changes. Fails saying what
// is missing; never lets the test skip.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, TOOLS_DIR } from '../../support/tools.js';

const execFileAsync = promisify(execFile);

export const GO_SDK_SOURCE = path.join(REPO_ROOT, 'test/tools/yandex-go-sdk');
const DIR = path.join(TOOLS_DIR, 'yandex-go-sdk');
const BINARY = path.join(DIR, 'yandex-go-sdk');
const STAMP = path.join(DIR, 'source.sha256');

/** The go-sdk/v2 version the program is built with, as go.mod pins it. */
export async function goSdkVersion(): Promise<string> {
  const goMod = await readFile(path.join(GO_SDK_SOURCE, 'go.mod'), 'utf8');
  return /github\.com\/yandex-cloud\/go-sdk\/v2 (v\S+)/.exec(goMod)![1]!;
}

/** The built program's path. */
export async function ensureGoSdkFlow(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(await readFile(path.join(GO_SDK_SOURCE, file)));
  const stamp = hash.digest('hex');
  const ready = await access(BINARY).then(
    () => true,
    () => false,
  );
  if (ready && (await readFile(STAMP, 'utf8').catch(() => '')) === stamp) return BINARY;
  console.log('building the Go SDK test program into .tools/yandex-go-sdk/ (first run, or its source changed)');
  await mkdir(DIR, { recursive: true });
  // Built aside and moved into place, so an interrupted build is never taken for a finished one.
  const building = `${BINARY}.${process.pid}`;
  try {
    await execFileAsync('go', ['build', '-trimpath', '-o', building, '.'], {
      cwd: GO_SDK_SOURCE,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    await rm(building, { force: true });
    throw new Error(
      `Yandex's Go SDK is needed for this test: Go ≥ 1.24 and the Go module proxy for github.com/yandex-cloud/go-sdk/v2 ${await goSdkVersion()}: ${(error as Error).message}`,
    );
  }
  await rename(building, BINARY);
  await writeFile(STAMP, stamp);
  return BINARY;
}
