// The all-in-one mode's management token: created once in the data dir (mode 0600) so a fresh
// install is usable without configuration and never serves an unauthenticated API.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function ensureAdminToken(dataDir: string): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.resolve(dataDir, 'admin-token');
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
