// Where the test servers come from: Debian's redis-server and postgresql, the FerretDB wrapper
// that provision.ts builds into .tools/, and the Apache Kafka jars it fetches from Maven Central.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
export const FERRETDB_BINARY = path.join(TOOLS_DIR, 'ferretdb');
export const FERRETDB_SOURCE = path.join(REPO_ROOT, 'test/tools/ferretdb');
/**
 * The newest Kafka line @platformatic/kafka is tested against (3.5–4.2 in its README); the broker
 * and controller run from the jars of `org.apache.kafka:kafka_2.13` and their dependencies.
 */
export const KAFKA_VERSION = '4.2.2';
export const KAFKA_JARS = path.join(TOOLS_DIR, `kafka-${KAFKA_VERSION}`, 'libs');

const DEBIAN_POSTGRESQL = '/usr/lib/postgresql';

/** A PostgreSQL server program of Debian's newest installed version: Debian keeps them off PATH. */
export function postgresProgram(name: 'initdb' | 'postgres' | 'psql'): string | undefined {
  const versions = existsSync(DEBIAN_POSTGRESQL) ? readdirSync(DEBIAN_POSTGRESQL).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((version) => path.join(DEBIAN_POSTGRESQL, version, 'bin', name)).find((program) => existsSync(program));
}
