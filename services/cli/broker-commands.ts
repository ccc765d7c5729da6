// `iotcore broker …` (yc iot broker).
import { Command } from 'commander';
import { CreateBrokerRequest, UpdateBrokerRequest } from '../generated/yandex/cloud/iot/broker/v1/broker_service.js';
import { Broker, BrokerCertificate, BrokerPassword } from '../generated/yandex/cloud/iot/broker/v1/broker.js';
import {
  collect,
  parseKeyList,
  parseKeyValueList,
  positiveInteger,
  readCertificateFiles,
  resolvePassword,
  type PasswordFlags,
} from './arguments.js';
import { logsCommand } from './log-commands.js';
import { forEachTarget, listAll, withApi, type Options } from './command-runner.js';
import { credentialCommands } from './credential-commands.js';
import { printList, printOperationResult, printResource } from './printing.js';
import { loggingOptions, logOptionsFrom } from './registry-commands.js';
import { brokerId } from './resolve.js';
import type { Api } from './connection.js';

export function brokerCommands(): Command {
  const group = new Command('broker').alias('brokers').description('manage brokers');
  const selector = (command: Command, argument = '[NAME|ID]') =>
    command.argument(argument, 'broker name or ID').option('--id <id>', 'broker ID').option('--name <name>', 'broker name');
  const target = (api: Api, options: Options, positional?: string) =>
    brokerId(api, options.folderId, { positional, id: options.id as string | undefined, name: options.name as string | undefined });

  group.addCommand(
    withApi(
      loggingOptions(
        new Command('create')
          .description('create a broker')
          .argument('[NAME]', 'broker name')
          .option('--name <name>', 'broker name')
          .option('--description <text>', 'description')
          .option('--labels <k=v,…>', 'labels')
          .option('--certificate-file <file>', 'PEM certificate (repeatable)', collect)
          .option('--password <password>', 'broker password')
          .option('--read-password', 'read the password from standard input')
          .option('--generate-password', 'generate a password and print it once on stderr'),
      ),
      async (api, options, positional) => {
        const operation = await api.brokers.create(
          CreateBrokerRequest.fromPartial({
            folder_id: options.folderId,
            name: (options.name as string | undefined) ?? positional ?? '',
            description: (options.description as string | undefined) ?? '',
            labels: parseKeyValueList('--labels', options.labels as string | undefined),
            certificates: readCertificateFiles(options.certificateFile as string[] | undefined).map((certificate_data) => ({
              certificate_data,
            })),
            password: resolvePassword(options as PasswordFlags) ?? '',
            log_options: logOptionsFrom(options),
          }),
        );
        printOperationResult(Broker, operation, options);
      },
    ),
  );

  group.addCommand(
    withApi(selector(new Command('get').alias('describe').alias('show').description('show a broker')), async (api, options, positional) => {
      printResource(Broker, await api.brokers.get({ broker_id: await target(api, options, positional) }), options.format);
    }),
  );

  group.addCommand(
    withApi(
      new Command('list').description('list brokers of the folder').option('--limit <n>', 'maximum number of items', positiveInteger, 1000),
      async (api, options) => {
        const brokers = await listAll(options.limit as number, async (page_size, page_token) => {
          const page = await api.brokers.list({ folder_id: options.folderId, page_size, page_token });
          return { items: page.brokers, next: page.next_page_token };
        });
        printList(Broker, brokers, options.format, [
          ['ID', (b) => b.id],
          ['NAME', (b) => b.name],
        ]);
      },
    ),
  );

  group.addCommand(
    withApi(
      loggingOptions(
        selector(new Command('update').description('update a broker'))
          .option('--new-name <name>', 'new name')
          .option('--description <text>', 'new description')
          .option('--labels <k=v,…>', 'replace all labels'),
      ),
      async (api, options, positional) => {
        const request = UpdateBrokerRequest.fromPartial({ broker_id: await target(api, options, positional), update_mask: [] });
        const mask = request.update_mask!;
        if (options.newName !== undefined) {
          request.name = String(options.newName);
          mask.push('name');
        }
        if (options.description !== undefined) {
          request.description = String(options.description);
          mask.push('description');
        }
        if (options.labels !== undefined) {
          request.labels = parseKeyValueList('--labels', String(options.labels));
          mask.push('labels');
        }
        const logOptions = logOptionsFrom(options);
        if (logOptions) {
          request.log_options = logOptions;
          mask.push('log_options');
        }
        if (mask.length === 0) throw new Error('nothing to update: pass --new-name, --description, --labels or logging flags');
        printOperationResult(Broker, await api.brokers.update(request), options);
      },
    ),
  );

  group.addCommand(
    withApi(selector(new Command('delete').description('delete brokers'), '[NAME|ID...]'), async (api, options, _first, positionals) => {
      await forEachTarget(positionals, async (positional) => {
        printOperationResult(undefined, await api.brokers.delete({ broker_id: await target(api, options, positional) }), options);
      });
    }),
  );

  for (const [name, merge] of [
    ['add-labels', true],
    ['remove-labels', false],
  ] as const) {
    group.addCommand(
      withApi(
        selector(new Command(name).description(`${merge ? 'add' : 'remove'} labels`)).requiredOption(
          '--labels <labels>',
          merge ? 'k=v,… to add' : 'keys to remove',
        ),
        async (api, options, positional) => {
          const broker_id = await target(api, options, positional);
          const labels = { ...(await api.brokers.get({ broker_id })).labels };
          if (merge) Object.assign(labels, parseKeyValueList('--labels', String(options.labels)));
          else for (const key of parseKeyList(String(options.labels))) delete labels[key];
          printOperationResult(
            Broker,
            await api.brokers.update(UpdateBrokerRequest.fromPartial({ broker_id, update_mask: ['labels'], labels })),
            options,
          );
        },
      ),
    );
  }

  for (const command of credentialCommands({
    kind: 'broker',
    addOwnerOptions: (command) => command.option('--broker-id <id>', 'broker ID').option('--broker-name <name>', 'broker name'),
    ownerId: (api, options) =>
      brokerId(api, options.folderId, { id: options.brokerId as string | undefined, name: options.brokerName as string | undefined }),
    certificates: {
      codec: BrokerCertificate,
      list: async (api, broker_id) => (await api.brokers.listCertificates({ broker_id })).certificates,
      add: (api, broker_id, certificate_data) => api.brokers.addCertificate({ broker_id, certificate_data }),
      remove: (api, broker_id, fingerprint) => api.brokers.deleteCertificate({ broker_id, fingerprint }),
    },
    passwords: {
      codec: BrokerPassword,
      list: async (api, broker_id) => (await api.brokers.listPasswords({ broker_id })).passwords,
      add: (api, broker_id, password) => api.brokers.addPassword({ broker_id, password }),
      remove: (api, broker_id, password_id) => api.brokers.deletePassword({ broker_id, password_id }),
    },
  }))
    group.addCommand(command);
  group.addCommand(
    logsCommand('show the connection log of a broker', selector, async (api, options, positional) => ({
      $case: 'broker_id',
      value: await target(api, options, positional),
    })),
  );

  return group;
}
