// Runs a command body with a connected API client and the merged global options.
import type { Command } from 'commander';
import { connect, type Api, type GlobalOptions } from './connection.js';

export type Options = GlobalOptions & Record<string, unknown>;

export function withApi(command: Command, body: (api: Api, options: Options, positional: string | undefined) => Promise<void>): Command {
  return command.action(async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const positional = typeof args[0] === 'string' ? args[0] : undefined;
    const options = cmd.optsWithGlobals() as Options;
    const api = connect(options);
    try {
      await body(api, options, positional);
    } finally {
      api.close();
    }
  });
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
