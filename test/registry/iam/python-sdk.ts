// Yandex's Python SDK (`yandexcloud` from PyPI) in a virtualenv under .tools/, made on first use.
// Pinned: the newest release when this was written (0.413.0), so a new release cannot change what
// the test proves without a commit. Fails saying what is missing; never lets the test skip.
import { execFile } from 'node:child_process';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TOOLS_DIR } from '../../support/tools.js';

const execFileAsync = promisify(execFile);

export const YANDEXCLOUD_VERSION = '0.413.0';
const VENV = path.join(TOOLS_DIR, 'yandexcloud-venv');
const STAMP = path.join(TOOLS_DIR, 'yandexcloud-venv.stamp');

/** The virtualenv's python, with `yandexcloud==YANDEXCLOUD_VERSION` installed. */
export async function ensurePythonSdk(): Promise<string> {
  const python = path.join(VENV, 'bin/python');
  const stamp = `yandexcloud==${YANDEXCLOUD_VERSION}`;
  const ready = await access(python).then(
    () => true,
    () => false,
  );
  if (ready && (await readFile(STAMP, 'utf8').catch(() => '')) === stamp) return python;
  // Built aside and moved into place, so an interrupted install is never taken for a finished one.
  const building = `${VENV}.${process.pid}`;
  try {
    await execFileAsync('python3', ['-m', 'venv', building]);
    await execFileAsync(path.join(building, 'bin/python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', stamp], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw new Error(
      `Yandex's Python SDK is needed for this test: python3 (with venv) and pip reaching PyPI for ${stamp}: ${(error as Error).message}`,
    );
  }
  await rm(VENV, { recursive: true, force: true });
  await rename(building, VENV);
  await writeFile(STAMP, stamp);
  return python;
}
