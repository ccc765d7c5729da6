// Reading deploy/compose.yaml as `docker compose` would before running anything: YAML merge keys
// (`<<: *anchor`) resolved, `${VAR}` interpolation with Compose's operators, and the short and long
// syntaxes of command, environment, depends_on, healthcheck and bind mounts normalized.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: {
    test: string[] | string;
    interval?: string;
    timeout?: string;
    start_period?: string;
    retries?: number;
    disable?: boolean;
  };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  secrets?: Array<string | { source: string; target?: string }>;
  ports?: Array<string | number | object>;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

/** The file as YAML data, merge keys resolved, nothing interpolated (what the schema validates). */
export function parseCompose(text: string): ComposeFile {
  return parseYaml(text, { merge: true }) as ComposeFile;
}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose interpolation of one string: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, $$. */
export function interpolate(value: string, variables: Record<string, string | undefined>): string {
  return value.replace(
    VARIABLE,
    (whole, braced: string | undefined, operator: string | undefined, operand: string | undefined, bare: string | undefined) => {
      if (whole === '$$') return '$';
      const name = braced ?? bare!;
      const current = variables[name];
      const unsetOrEmpty = current === undefined || current === '';
      switch (operator) {
        case undefined:
          return current ?? '';
        case ':-':
          return unsetOrEmpty ? interpolate(operand!, variables) : current!;
        case '-':
          return current === undefined ? interpolate(operand!, variables) : current;
        case ':?':
          if (unsetOrEmpty) throw new Error(`required variable ${name} is missing a value: ${operand}`);
          return current!;
        case '?':
          if (current === undefined) throw new Error(`required variable ${name} is missing a value: ${operand}`);
          return current;
        case ':+':
          return unsetOrEmpty ? '' : interpolate(operand!, variables);
        case '+':
          return current === undefined ? '' : interpolate(operand!, variables);
        default:
          throw new Error(`unknown interpolation operator ${operator} in ${whole}`);
      }
    },
  );
}

/** Every variable name the file's values refer to. */
export function referencedVariables(data: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(VARIABLE)) if (match[0] !== '$$') names.add(match[1] ?? match[4]!);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(data);
  return names;
}

/** Interpolates every string value (not keys) of the parsed file, as Compose does. */
export function interpolateAll<T>(data: T, variables: Record<string, string | undefined>): T {
  if (typeof data === 'string') return interpolate(data, variables) as T;
  if (Array.isArray(data)) return data.map((item: unknown) => interpolateAll(item, variables)) as T;
  if (data && typeof data === 'object')
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, interpolateAll(value, variables)])) as T;
  return data;
}

/** `KEY=value` lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const separator = trimmed.indexOf('=');
    if (separator === -1) throw new Error(`not KEY=value: ${line}`);
    entries[trimmed.slice(0, separator).trim()] = trimmed
      .slice(separator + 1)
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2');
  }
  return entries;
}

export function commandOf(service: ComposeService): string[] {
  const command = service.command ?? [];
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command;
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const separator = entry.indexOf('=');
        return separator === -1 ? [entry, ''] : [entry.slice(0, separator), entry.slice(separator + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

export function dependsOnOf(service: ComposeService): Record<string, string> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition ?? 'service_started']));
}

/** The healthcheck as an argv (CMD form) or a shell command (CMD-SHELL form); undefined when none or NONE. */
export function healthcheckOf(service: ComposeService): { argv?: string[]; shell?: string } | undefined {
  const healthcheck = service.healthcheck;
  if (!healthcheck || healthcheck.disable) return undefined;
  const test = healthcheck.test;
  if (typeof test === 'string') return { shell: test };
  if (test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return { argv: test.slice(1) };
  if (test[0] === 'CMD-SHELL') return { shell: test[1]! };
  throw new Error(`healthcheck test must start with CMD, CMD-SHELL or NONE: ${JSON.stringify(test)}`);
}

/** Bind mounts as host path (resolved against the compose file's directory) → container path. */
export function bindMountsOf(service: ComposeService, composeDir: string): Array<{ host: string; container: string; readOnly: boolean }> {
  const mounts: Array<{ host: string; container: string; readOnly: boolean }> = [];
  for (const volume of service.volumes ?? []) {
    if (typeof volume === 'string') {
      const [source, target, mode] = volume.split(':');
      if (target && /^[.~/]/.test(source!))
        mounts.push({ host: path.resolve(composeDir, source!), container: target, readOnly: mode?.split(',').includes('ro') ?? false });
    } else if (volume.type === 'bind' && volume.source) {
      mounts.push({ host: path.resolve(composeDir, volume.source), container: volume.target, readOnly: false });
    }
  }
  return mounts;
}

/** Where a path inside the container comes from on the host, through the service's bind mounts. */
export function hostPathOf(service: ComposeService, composeDir: string, containerPath: string): string | undefined {
  const mount = bindMountsOf(service, composeDir)
    .filter(({ container }) => containerPath === container || containerPath.startsWith(`${container}/`))
    .sort((a, b) => b.container.length - a.container.length)[0];
  return mount && path.join(mount.host, path.relative(mount.container, containerPath));
}

/** `--name=value` / `--name value` options of an argv. */
export function optionValue(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, index) => {
    if (arg === name) value = argv[index + 1];
    else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
  });
  return value;
}
