// `iotcore serve`: the settings table as options, then process start-up (services/process/serve.ts).
import { Command } from 'commander';
import { addServeOptions, resolveServeConfig } from '../common/config.js';
import { serve } from '../process/serve.js';

export function serveCommand(): Command {
  const command = new Command('serve').description('run the iotcore services (all-in-one by default)');
  addServeOptions(command);
  command.action(async (raw: Record<string, unknown>) => {
    // libuv's worker pool (default 4 threads) runs password hashes next to LevelDB and file I/O;
    // it is created on first use, so this still applies. Hashes take at most half (passwords.ts).
    process.env.UV_THREADPOOL_SIZE ??= '8';
    await serve(resolveServeConfig(raw));
  });
  return command;
}
