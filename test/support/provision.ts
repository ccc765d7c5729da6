// `npm test`'s pretest: makes sure the servers the tests need can be started here.
//   - redis-server, postgresql (under the cluster tests' FerretDB) and mosquitto (a third-party
//     client/baseline) from Debian when missing; jq, which scripts/yandex-dump.sh and the README's
//     REST examples use; curl, which those examples call;
//   - FerretDB (MongoDB-compatible, on SQLite or PostgreSQL) built from the Go module proxy into
//     .tools/, rebuilt only when its wrapper's sources change;
//   - Apache Kafka (KRaft) jars from Maven Central into .tools/kafka-<version>/, run with Debian's
//     Java 17 (openjdk-17-jre-headless) and fetched with Debian's maven;
//   - helm, kubeconform and offline Kubernetes schemas for the chart test (test/deploy/chart-tools.ts);
//   - promtool (Debian's prometheus package), the blackbox exporter, hadolint and the Compose schema
//     for the deploy/ test (test/deploy/deploy-tools.ts);
//   - the Go SDK test's program on github.com/yandex-cloud/go-sdk/v2 from the Go module proxy into
//     .tools/yandex-go-sdk/ (test/registry/iam/go-sdk.ts; a cold build fetches ~170 MB of modules).
// Fails with a message naming what is missing; never lets the suite skip silently.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FERRETDB_BINARY, FERRETDB_SOURCE, postgresProgram, TOOLS_DIR } from './tools.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { ensureChartTools } from '../deploy/chart-tools.js';
import { ensureDeployTools } from '../deploy/deploy-tools.js';
import { ensureGoSdkFlow } from '../registry/iam/go-sdk.js';

const DEBIAN_PACKAGES: Array<[binary: string, pkg: string]> = [
  ['redis-server', 'redis-server'],
  ['mosquitto', 'mosquitto'],
  ['mosquitto_pub', 'mosquitto-clients'],
  ['jq', 'jq'],
  ['curl', 'curl'],
  ['java', 'openjdk-17-jre-headless'],
  ['mvn', 'maven'],
  ['promtool', 'prometheus'],
  ['prometheus-blackbox-exporter', 'prometheus-blackbox-exporter'],
  // The web console's browser test (test/console/): Debian's Chromium, driven by playwright-core.
  ['chromium', 'chromium'],
];

async function main(): Promise<void> {
  ensureDebianPackages();
  if (!process.env.MONGO_URL) ensureFerretDb();
  ensureKafkaJars();
  // helm and kubeconform from the Go proxy, Kubernetes JSON schemas from PyPI (cached in .tools/).
  await ensureChartTools();
  await ensureDeployTools();
  await ensureGoSdkFlow();
  console.log('provision: ok');
}

function ensureDebianPackages(): void {
  // With REDIS_URL the tests use that Redis; everything else is still needed.
  const wanted = DEBIAN_PACKAGES.filter(([binary]) => !(binary === 'redis-server' && process.env.REDIS_URL));
  const missing = wanted.filter(([binary]) => !onPath(binary)).map(([, pkg]) => pkg);
  // Debian keeps the PostgreSQL server programs off PATH.
  if (!postgresProgram('postgres')) missing.push('postgresql');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(' ')}. Install them: apt-get install ${missing.join(' ')}`);
  }
  console.log(`provision: apt-get install ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
  // Debian starts the packaged services; tests run their own on free ports.
  spawnSync('service', ['redis-server', 'stop'], { stdio: 'ignore' });
  spawnSync('service', ['postgresql', 'stop'], { stdio: 'ignore' });
  spawnSync('service', ['mosquitto', 'stop'], { stdio: 'ignore' });
  spawnSync('service', ['prometheus', 'stop'], { stdio: 'ignore' });
  spawnSync('service', ['prometheus-blackbox-exporter', 'stop'], { stdio: 'ignore' });
}

function ensureFerretDb(): void {
  const stampFile = path.join(TOOLS_DIR, 'ferretdb.stamp');
  const stamp = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) stamp.update(readFileSync(path.join(FERRETDB_SOURCE, file)));
  const wanted = stamp.digest('hex');
  if (existsSync(FERRETDB_BINARY) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return;
  if (!onPath('go')) fail('Go is needed to build the test MongoDB-compatible server (FerretDB): install Go ≥ 1.24 or set MONGO_URL.');
  console.log('provision: building FerretDB v1.24.2 into .tools/ (first run only)');
  mkdirSync(TOOLS_DIR, { recursive: true });
  run('go', ['build', '-trimpath', '-o', FERRETDB_BINARY, '.'], { CGO_ENABLED: '0' }, FERRETDB_SOURCE);
  writeFileSync(stampFile, wanted);
}

function run(command: string, args: string[], env: Record<string, string> = {}, cwd?: string): void {
  try {
    execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env }, cwd });
  } catch {
    fail(`\`${command} ${args.join(' ')}\` failed`);
  }
}

function onPath(binary: string): boolean {
  return (
    spawnSync('sh', ['-c', `command -v ${binary}`], {
      stdio: 'ignore',
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    }).status === 0
  );
}

function fail(message: string): never {
  console.error(`provision: ${message}`);
  process.exit(1);
}

main().catch((error: unknown) => {
  console.error(`provision: ${(error as Error).message}`);
  process.exit(1);
});
