// `iotcore serve`: the settings table as options, then process start-up (services/process/serve.ts).
import { Command } from 'commander';
import { addServeOptions, resolveServeConfig, type ServeConfig } from '../common/config.js';
import { USAGE_EXIT_CODE } from './usage-errors.js';

export function serveCommand(): Command {
  const command = new Command('serve').description('run the iotcore services (all-in-one by default)');
  addServeOptions(command);
  command.action(async (raw: Record<string, unknown>) => {
    let config: ServeConfig;
    try {
      config = resolveServeConfig(raw);
    } catch (error) {
      // A bad flag or IOTCORE_… value is a usage error (exit 2), not a failure of the server.
      return command.error(`error: ${(error as Error).message}`, { exitCode: USAGE_EXIT_CODE, code: 'iotcore.invalidSetting' });
    }
    // libuv's worker pool (default 4 threads) runs password hashes next to LevelDB and file I/O;
    // it is created on first use, so this still applies. Hashes take at most half (passwords.ts).
    process.env.UV_THREADPOOL_SIZE ??= '8';
    // Loaded only for `serve`: the whole server is most of what every other command would load.
    const { serve } = await import('../process/serve.js');
    await serve(config);
  });
  return command;
}
