// Where `npm run build` puts the web console (vite.config.ts: dist/console), seen from this compiled
// file (dist/services/process/): served only when it is there.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function consoleBuildDir(): string | undefined {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}
