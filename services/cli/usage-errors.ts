// Command-line mistakes answered as command-line tools answer them: commander's message, the usage
// line of the command that was mistyped and exit code 2; --help stays exit 0. Commander on its own
// exits 1, and its settings do not reach commands added with addCommand(): hence the walk.
import { CommanderError, type Command } from 'commander';

export const USAGE_EXIT_CODE = 2;

/** Makes `command` and every command under it throw CommanderError instead of exiting. */
export function answerUsageErrors(command: Command): Command {
  command.exitOverride().configureOutput({
    outputError: (message, write) => write(`${message}usage: ${commandPath(command)} ${command.usage()}\n(add --help for details)\n`),
  });
  for (const subcommand of command.commands) answerUsageErrors(subcommand);
  return command;
}

/** The exit code for what parseAsync threw: 0 after --help, 2 for a usage error, undefined for anything else. */
export function usageExitCode(error: unknown): number | undefined {
  if (!(error instanceof CommanderError)) return undefined;
  return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}
