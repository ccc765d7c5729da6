// Where the test servers come from: Debian's redis-server and postgresql, and the FerretDB wrapper
// that provision.ts builds into .tools/.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
export const FERRETDB_BINARY = path.join(TOOLS_DIR, 'ferretdb');
export const FERRETDB_SOURCE = path.join(REPO_ROOT, 'test/tools/ferretdb');

const DEBIAN_POSTGRESQL = '/usr/lib/postgresql';

/** A PostgreSQL server program of Debian's newest installed version: Debian keeps them off PATH. */
export function postgresProgram(name: 'initdb' | 'postgres'): string | undefined {
  const versions = existsSync(DEBIAN_POSTGRESQL) ? readdirSync(DEBIAN_POSTGRESQL).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((version) => path.join(DEBIAN_POSTGRESQL, version, 'bin', name)).find((program) => existsSync(program));
}
