// deploy/ as far as this machine can check it without a container engine: the Dockerfile is linted
// (hadolint) and its npm commands and health check are replayed for real; compose.yaml matches the
// Compose Specification and names only real iotcore settings and existing files; Prometheus'
// config and alerts pass promtool; every metric the alerts and the Grafana dashboard query is one
// that an iotcore process actually exposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { REPO_ROOT } from '../support/tools.js';
import { freePort, waitForPort } from '../support/ports.js';
import { CLI, startServer, stopServer } from '../support/serve-process.js';
import { ensureComposeSchema, ensureHadolint } from './deploy-tools.js';

const execFileAsync = promisify(execFile);
const DEPLOY = path.join(REPO_ROOT, 'deploy');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions grouped by stage (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Instruction[][] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)!.push(instruction);
  }
  return stages;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function metricNames(expressions: string[]): Set<string> {
  const names = new Set<string>();
  for (const expression of expressions) {
    for (const [name] of expression.matchAll(/\b(?:iotcore|grpc|process|nodejs)_[a-z0-9_]+\b/g)) names.add(name);
  }
  return names;
}

test('the Dockerfile: hadolint clean, multi-stage, non-root, health-checked, pinned, copies only what exists', async () => {
  const dockerfile = await readFile(path.join(DEPLOY, 'Dockerfile'), 'utf8');
  const hadolint = await execFileAsync(await ensureHadolint(), [path.join(DEPLOY, 'Dockerfile')]).then(() => '', (error: { stdout: string }) => error.stdout);
  assert.equal(hadolint, '', 'hadolint reports nothing');

  const stages = dockerfileStages(dockerfile);
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  for (const stage of stages) assert.match(stage[0]!.args, /^\S+:\S+/, `pinned base image: ${stage[0]!.args}`);
  assert.doesNotMatch(dockerfile, /:latest\b/);
  const runtime = stages.at(-1)!;
  const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (${user})`);
  assert.ok(runtime.some((i) => i.keyword === 'HEALTHCHECK'), 'has a HEALTHCHECK');
  assert.ok(!dockerfile.includes('ADD '), 'no ADD (no remote URLs, no implicit unpacking)');

  const ignored = (await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const copy of stages.flat().filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      assert.ok(existsSync(path.join(REPO_ROOT, source)), `COPY source ${source} exists`);
      assert.ok(!ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `COPY source ${source} is not excluded by .dockerignore`);
    }
  }
});

test('the Dockerfile replayed: its build and runtime npm commands work, and its health check passes against the result', { timeout: 600_000 }, async (t) => {
  const stages = dockerfileStages(await readFile(path.join(DEPLOY, 'Dockerfile'), 'utf8'));
  const work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-image-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const [build, runtime] = [path.join(work, 'src'), path.join(work, 'app')];
  // Each stage: COPY from the context (or the build stage), RUN the npm commands; other RUN lines
  // (mkdir/chown of /data) change the host and are left to the image build.
  const replay = async (stage: Instruction[], root: string) => {
    for (const { keyword, args } of stage) {
      if (keyword === 'COPY') {
        const from = /^--from=(\S+)\s+/.exec(args);
        const parts = args.replace(/^--from=\S+\s+/, '').split(/\s+/);
        const destination = path.join(root, parts.at(-1)!);
        for (const source of parts.slice(0, -1)) {
          const origin = from ? path.join(build, source.replace(/^\/src\//, '')) : path.join(REPO_ROOT, source);
          await cp(origin, parts.length > 2 || parts.at(-1)!.endsWith('/') ? path.join(destination, path.basename(source)) : destination, { recursive: true });
        }
      }
      if (keyword === 'RUN' && args.startsWith('npm ')) {
        t.diagnostic(`RUN ${args}`);
        await execFileAsync('sh', ['-c', args], { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_loglevel: 'error' } });
      }
    }
  };
  await replay(stages[0]!, build);
  assert.ok(existsSync(path.join(build, 'dist/services/cli/main.js')), 'the build stage compiled the services');
  await replay(stages[1]!, runtime);
  assert.ok(!existsSync(path.join(runtime, 'node_modules/typescript')), 'no dev dependencies in the runtime stage');

  // The image's command (ENTRYPOINT + CMD) on the runtime stage's files, then its HEALTHCHECK.
  const entrypoint = JSON.parse(stages[1]!.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
  const command = JSON.parse(stages[1]!.find((i) => i.keyword === 'CMD')!.args) as string[];
  const healthcheck = JSON.parse(stages[1]!.find((i) => i.keyword === 'HEALTHCHECK')!.args.replace(/^.*?CMD\s+/, '')) as string[];
  const httpPort = Number(/127\.0\.0\.1:(\d+)/.exec(healthcheck.join(' '))![1]);
  assert.ok(await portIsFree(httpPort), `port ${httpPort}, which the health check asks, is free for this test (stop a running \`npm start\`)`);
  const [apiPort, mqttPort] = [await freePort(), await freePort()];
  const server = spawn(entrypoint[0] === 'node' ? process.execPath : entrypoint[0]!, [...entrypoint.slice(1), ...command, '--api-listen', `127.0.0.1:${apiPort}`, '--mqtt-listen', `127.0.0.1:${mqttPort}`, '--http-listen', `127.0.0.1:${httpPort}`], {
    cwd: runtime,
    env: { ...process.env, NODE_ENV: 'production', IOTCORE_DATA_DIR: path.join(work, 'data') },
    stdio: 'ignore',
  });
  t.after(() => server.kill('SIGKILL'));
  await waitForPort(httpPort, 30_000, () => server.exitCode === null);
  const check = await execFileAsync(healthcheck[0] === 'node' ? process.execPath : healthcheck[0]!, healthcheck.slice(1)).then(() => 0, (error: { code: number }) => error.code);
  assert.equal(check, 0, 'the HEALTHCHECK command succeeds against the running image command');
  server.kill('SIGTERM');
});

test('compose.yaml follows the Compose Specification and uses real iotcore settings and files', async () => {
  const text = await readFile(path.join(DEPLOY, 'compose.yaml'), 'utf8');
  const compose = parseYaml(text, { merge: true }) as { services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; command?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: Record<string, unknown> | string[] }>; secrets?: Record<string, { file: string }> };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(await readFile(await ensureComposeSchema(), 'utf8')) as object);
  assert.ok(validate(compose), `schema errors: ${ajv.errorsText(validate.errors)}`);

  const help = (await execFileAsync(process.execPath, [CLI, 'serve', '--help'])).stdout;
  const services = Object.entries(compose.services);
  for (const [name, service] of services) {
    assert.ok(service.image && /:\S+/.test(service.image), `${name}: image pinned by tag`);
    for (const key of Object.keys(service.environment ?? {}).filter((key) => key.startsWith('IOTCORE_'))) {
      assert.ok(help.includes(key), `${name}: ${key} is an iotcore setting`);
    }
    for (const flag of (service.command ?? []).filter((arg) => arg.startsWith('--'))) {
      if (service.build) assert.ok(help.includes(flag), `${name}: ${flag} is an iotcore serve flag`);
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.')) assert.ok(existsSync(path.join(DEPLOY, source)), `${name}: mounted ${source} exists`);
    }
    if (service.build) assert.ok(existsSync(path.join(DEPLOY, service.build.context, service.build.dockerfile)), `${name}: builds from an existing Dockerfile`);
  }
  const edges = services.filter(([, service]) => service.command?.includes('edge'));
  assert.equal(edges.length, 2, 'two edges');
  for (const [name, edge] of edges) {
    assert.deepEqual(Object.keys(edge.depends_on ?? {}).sort(), ['mongo', 'redis', 'registry'], `${name} waits for its dependencies`);
    assert.ok(edge.environment?.IOTCORE_REDIS_URL && edge.environment.IOTCORE_MONGO_URL && edge.environment.IOTCORE_REGISTRY_ENDPOINT, `${name} is a cluster edge`);
  }
  // The TLS files are the operator's to create: the header says how.
  for (const secret of Object.values(compose.secrets ?? {})) assert.ok(text.includes(secret.file.replace('./', 'deploy/')), `the header explains how to create ${secret.file}`);
});

test('Prometheus config and alert rules pass promtool', async () => {
  const config = await execFileAsync('promtool', ['check', 'config', path.join(DEPLOY, 'prometheus/prometheus.yml')]);
  assert.match(config.stdout, /SUCCESS: .*prometheus\.yml is valid/);
  assert.match(config.stdout, /SUCCESS: \d+ rule files found/);
  const rules = await execFileAsync('promtool', ['check', 'rules', path.join(DEPLOY, 'prometheus/alerts.yml')]);
  assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
});

test('the Grafana dashboard and the alerts query only metrics iotcore exposes', { timeout: 60_000 }, async (t) => {
  const dashboard = JSON.parse(await readFile(path.join(DEPLOY, 'grafana/dashboards/iotcore.json'), 'utf8')) as { uid: string; panels: Array<{ id: number; title: string; datasource: { uid: string }; targets: Array<{ expr: string; refId: string }> }> };
  const provisioning = parseYaml(await readFile(path.join(DEPLOY, 'grafana/provisioning/dashboards/iotcore.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
  const compose = await readFile(path.join(DEPLOY, 'compose.yaml'), 'utf8');
  assert.ok(compose.includes(`./grafana/dashboards:${provisioning.providers[0]!.options.path}`), 'the dashboards folder is mounted where the provider reads');
  assert.equal(new Set(dashboard.panels.map((panel) => panel.id)).size, dashboard.panels.length, 'panel ids are unique');
  for (const panel of dashboard.panels) {
    assert.equal(panel.datasource.uid, '${datasource}', `${panel.title}: uses the dashboard's data source`);
    assert.ok(panel.targets.length > 0 && panel.targets.every((target) => target.expr && target.refId), `${panel.title}: has queries`);
  }
  const alerts = parseYaml(await readFile(path.join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
  const wanted = metricNames([...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr))]);

  // The all-in-one process runs the registry service and an edge: it exposes both sides' metrics.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-metrics-'));
  const httpPort = await freePort();
  const server = await startServer(dir, await freePort(), await freePort(), ['--http-listen', `127.0.0.1:${httpPort}`]);
  t.after(async () => {
    await stopServer(server);
    await rm(dir, { recursive: true, force: true });
  });
  await waitForPort(httpPort, 10_000);
  const exposition = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const exposed = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name!, type!]));
  const missing = [...wanted].filter((name) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return !(exposed.has(name) || (base !== name && exposed.get(base) === 'histogram'));
  });
  assert.deepEqual(missing, [], 'every queried metric is exposed');
  t.diagnostic(`${wanted.size} metric names queried by ${dashboard.panels.length} panels and the alerts, all exposed`);
});
