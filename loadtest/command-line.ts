// Command lines of the `npm run` entry points (bench, loadtest:k6), answered as command-line tools
// answer them: -h/--help prints the usage and exits 0; an unknown option, a missing or ill-formed
// value or a stray argument prints the error and the usage line and exits 2 — not the stack trace
// node:util's parseArgs throws.
import { parseArgs, type ParseArgsConfig } from 'node:util';

const USAGE_EXIT_CODE = 2;

/** A mistake in the command line, thrown from `parseCommandLine`'s `read`. */
export class UsageError extends Error {}

/**
 * parseArgs over process.argv, with `help` (-h/--help) added to `config.options`, then `read`
 * (which turns the values into settings and throws UsageError on a bad one).
 */
export function parseCommandLine<T extends ParseArgsConfig, R>(
  config: T,
  usage: string,
  read: (parsed: ReturnType<typeof parseArgs<T>>) => R,
): R {
  const withHelp = { ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } } as T;
  try {
    const parsed = parseArgs(withHelp);
    if ((parsed.values as Record<string, unknown>).help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return read(parsed);
  } catch (error) {
    if (error instanceof UsageError) exitOnUsageError(error, usage);
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_'))
      exitOnUsageError(new UsageError((error as Error).message), usage);
    throw error;
  }
}

/** Prints a usage error (message, the usage line, where the rest is) and exits 2. */
function exitOnUsageError(error: UsageError, usage: string): never {
  process.stderr.write(`error: ${error.message}\n${usage.split('\n')[0]}\n(--help lists every option)\n`);
  process.exit(USAGE_EXIT_CODE);
}

/** `--flag` as an integer ≥ `min`, or a UsageError. */
export function integerOption(flag: string, text: string, min = 1): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min) throw new UsageError(`${flag} ${text}: expected an integer ≥ ${min}`);
  return value;
}

/** A comma-separated `--flag` whose items must come from `allowed`. */
export function listOption(flag: string, text: string, allowed: readonly string[]): Set<string> {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !allowed.includes(item));
  if (items.length === 0 || unknown.length > 0)
    throw new UsageError(`${flag} ${text}: expected a comma-separated list of ${allowed.join(', ')}`);
  return new Set(items);
}

/** `--flag` as one of `allowed`, or a UsageError. */
export function choiceOption<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} ${text}: expected one of ${allowed.join(', ')}`);
  return text as T;
}
