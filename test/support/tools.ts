// Where the test servers come from: Debian's redis-server and the FerretDB wrapper that
// provision.ts builds into .tools/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
export const FERRETDB_BINARY = path.join(TOOLS_DIR, 'ferretdb');
export const FERRETDB_SOURCE = path.join(REPO_ROOT, 'test/tools/ferretdb');
