// Runs a command body with a connected API client and the merged global options.
import type { Command } from 'commander';
import { connect, type Api, type GlobalOptions } from './connection.js';

export type Options = GlobalOptions & Record<string, unknown>;

export function withApi(
  command: Command,
  body: (api: Api, options: Options, positional: string | undefined, positionals: string[]) => Promise<void>,
): Command {
  return command.action(async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    // A variadic argument ([NAME|ID...]) arrives as an array.
    const positionals = Array.isArray(args[0]) ? (args[0] as string[]) : typeof args[0] === 'string' ? [args[0]] : [];
    const options = cmd.optsWithGlobals() as Options;
    const api = connect(options);
    try {
      await body(api, options, positionals[0], positionals);
    } finally {
      api.close();
    }
  });
}

/** Each NAME|ID given (yc's delete takes several), or once for the --id/--name flags when none is. */
export async function forEachTarget(positionals: string[], run: (positional: string | undefined) => Promise<void>): Promise<void> {
  for (const positional of positionals.length > 0 ? positionals : [undefined]) await run(positional);
}

/** Pages through a List call up to `limit` items (yc's --limit, default 1000). */
export async function listAll<T>(
  limit: number,
  fetch: (page_size: number, page_token: string) => Promise<{ items: T[]; next: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let page_token = '';
  do {
    const page = await fetch(Math.min(1000, limit - items.length), page_token);
    items.push(...page.items);
    page_token = page.next;
  } while (page_token && items.length < limit);
  return items.slice(0, limit);
}
