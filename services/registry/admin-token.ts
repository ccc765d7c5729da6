// Secrets the all-in-one mode makes for itself on first start, each in a file of the data dir (mode
// 0600): the management token, so a fresh install never serves an unauthenticated API, and the key
// of the shared credential cache.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function ensureAdminToken(dataDir: string): Promise<{ token: string; file: string; created: boolean }> {
  return ensureSecretFile(dataDir, 'admin-token');
}

/** The secret in DATA_DIR/<name>, made (32 random bytes, base64url) when there is none. */
export async function ensureSecretFile(dataDir: string, name: string): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.resolve(dataDir, name);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return { token, file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, file, created: true };
}
