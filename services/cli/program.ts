// The `iotcore` command tree: global options and the command groups.
import { Command, Option } from 'commander';
import { serveCommand } from './serve-command.js';
import { registryCommands } from './registry-commands.js';
import { deviceCommands } from './device-commands.js';
import { brokerCommands } from './broker-commands.js';
import { mqttCommands } from './mqtt-commands.js';
import { importCommands } from './import-command.js';
import { tokenCommands } from './token-commands.js';
import { triggerCommands } from './trigger-commands.js';
import { iamCommands } from './iam-commands.js';
import { answerUsageErrors } from './usage-errors.js';

export function iotcoreProgram(): Command {
  const program = new Command('iotcore')
    .description('self-hosted, Yandex IoT Core–compatible MQTT broker')
    .addOption(new Option('--endpoint <host:port>', 'management API endpoint').env('IOTCORE_ENDPOINT').default('localhost:50051'))
    .addOption(new Option('--token <token>', 'management API bearer token (default: DATA_DIR/admin-token)').env('IOTCORE_TOKEN'))
    .addOption(
      new Option(
        '--api-ca <file>',
        "CA certificates the management API's TLS certificate must chain to (default: DATA_DIR/tls/ca.pem when it exists, and the system's)",
      ).env('IOTCORE_API_CA'),
    )
    // Not --api-plaintext: a global option takes its flag from every subcommand, serve's included. A
    // bare switch (a value would swallow the command name after it); IOTCORE_API_PLAINTEXT is read in
    // connection.ts, strictly, so that =false does not turn TLS off.
    .addOption(
      new Option('--plaintext', 'talk to a management API served with `iotcore serve --api-plaintext` (env: IOTCORE_API_PLAINTEXT=true)'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .addOption(
      new Option(
        '--async',
        "print a mutation's operation instead of its result, as yc's flag does (iotcore's operations are done when answered)",
      ),
    )
    .addOption(new Option('--folder-id <id>', 'folder (tenant namespace)').env('IOTCORE_FOLDER_ID').default('default'));

  program.addCommand(serveCommand());
  program.addCommand(registryCommands());
  program.addCommand(deviceCommands());
  program.addCommand(brokerCommands());
  program.addCommand(mqttCommands());
  program.addCommand(importCommands());
  program.addCommand(tokenCommands());
  program.addCommand(triggerCommands());
  program.addCommand(iamCommands());
  return answerUsageErrors(program);
}
