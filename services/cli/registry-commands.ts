// `iotcore registry …` (yc iot registry).
import { Command, Option } from 'commander';
import { CreateRegistryRequest, UpdateRegistryRequest } from '../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import {
  Registry,
  RegistryCertificate,
  RegistryPassword,
  DeviceAlias,
  type LogOptions,
} from '../generated/yandex/cloud/iot/devices/v1/registry.js';
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
import { ydsExportCommand } from './yds-export-commands.js';
import { printList, printOperationResult, printResource } from './printing.js';
import { registryId } from './resolve.js';
import type { Api } from './connection.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function registryCommands(): Command {
  const group = new Command('registry').alias('registries').description('manage device registries');
  const selector = (command: Command, argument = '[NAME|ID]') =>
    command.argument(argument, 'registry name or ID').option('--id <id>', 'registry ID').option('--name <name>', 'registry name');
  const target = (api: Api, options: Options, positional?: string) =>
    registryId(api, options.folderId, { positional, id: options.id as string | undefined, name: options.name as string | undefined });

  group.addCommand(
    withApi(
      loggingOptions(
        new Command('create')
          .description('create a registry')
          .argument('[NAME]', 'registry name')
          .option('--name <name>', 'registry name')
          .option('--description <text>', 'description')
          .option('--labels <k=v,…>', 'labels')
          .option('--certificate-file <file>', 'PEM certificate (repeatable)', collect)
          .option('--password <password>', 'registry password')
          .option('--read-password', 'read the password from standard input')
          .option('--generate-password', 'generate a password and print it once on stderr'),
      ),
      async (api, options, positional) => {
        const operation = await api.registries.create(
          CreateRegistryRequest.fromPartial({
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
        printOperationResult(Registry, operation, options);
      },
    ),
  );

  group.addCommand(
    withApi(
      selector(new Command('get').alias('describe').alias('show').description('show a registry')),
      async (api, options, positional) => {
        printResource(Registry, await api.registries.get({ registry_id: await target(api, options, positional) }), options.format);
      },
    ),
  );

  group.addCommand(
    withApi(
      new Command('list')
        .description('list registries of the folder')
        .option('--limit <n>', 'maximum number of items', positiveInteger, 1000),
      async (api, options) => {
        const registries = await listAll(options.limit as number, async (page_size, page_token) => {
          const page = await api.registries.list({ folder_id: options.folderId, page_size, page_token });
          return { items: page.registries, next: page.next_page_token };
        });
        printList(Registry, registries, options.format, [
          ['ID', (r) => r.id],
          ['NAME', (r) => r.name],
          ['STATUS', (r) => Registry_StatusName(r)],
        ]);
      },
    ),
  );

  group.addCommand(
    withApi(
      loggingOptions(
        selector(new Command('update').description('update a registry'))
          .option('--new-name <name>', 'new name')
          .option('--description <text>', 'new description')
          .option('--labels <k=v,…>', 'replace all labels'),
      ),
      async (api, options, positional) => {
        const id = await target(api, options, positional);
        const request = UpdateRegistryRequest.fromPartial({ registry_id: id, update_mask: [] });
        if (options.newName !== undefined) {
          request.name = String(options.newName);
          request.update_mask!.push('name');
        }
        if (options.description !== undefined) {
          request.description = String(options.description);
          request.update_mask!.push('description');
        }
        if (options.labels !== undefined) {
          request.labels = parseKeyValueList('--labels', String(options.labels));
          request.update_mask!.push('labels');
        }
        const logOptions = logOptionsFrom(options);
        if (logOptions) {
          request.log_options = logOptions;
          request.update_mask!.push('log_options');
        }
        if (request.update_mask!.length === 0)
          throw new Error('nothing to update: pass --new-name, --description, --labels or logging flags');
        printOperationResult(Registry, await api.registries.update(request), options);
      },
    ),
  );

  for (const [name, description] of [
    ['delete', 'delete empty registries'],
    ['disable', 'refuse MQTT connections of the registry and its devices'],
    ['enable', 'accept connections again'],
  ] as const) {
    group.addCommand(
      withApi(selector(new Command(name).description(description), '[NAME|ID...]'), async (api, options, _first, positionals) => {
        await forEachTarget(positionals, async (positional) => {
          const registry_id = await target(api, options, positional);
          const operation =
            name === 'delete'
              ? await api.registries.delete({ registry_id })
              : name === 'disable'
                ? await api.registries.disable({ registry_id })
                : await api.registries.enable({ registry_id });
          printOperationResult(name === 'delete' ? undefined : Registry, operation, options);
        });
      }),
    );
  }

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
          const registry_id = await target(api, options, positional);
          const current = await api.registries.get({ registry_id });
          const labels = { ...current.labels };
          if (merge) Object.assign(labels, parseKeyValueList('--labels', String(options.labels)));
          else for (const key of parseKeyList(String(options.labels))) delete labels[key];
          printOperationResult(
            Registry,
            await api.registries.update(UpdateRegistryRequest.fromPartial({ registry_id, update_mask: ['labels'], labels })),
            options,
          );
        },
      ),
    );
  }

  group.addCommand(
    withApi(
      selector(new Command('list-device-topic-aliases').description('list the topic aliases of all devices of a registry')).option(
        '--limit <n>',
        'maximum number of items',
        positiveInteger,
        1000,
      ),
      async (api, options, positional) => {
        const registry_id = await target(api, options, positional);
        const aliases = await listAll(options.limit as number, async (page_size, page_token) => {
          const page = await api.registries.listDeviceTopicAliases({ registry_id, page_size, page_token });
          return { items: page.aliases, next: page.next_page_token };
        });
        printList(DeviceAlias, aliases, options.format, [
          ['DEVICE ID', (a) => a.device_id],
          ['TOPIC PREFIX', (a) => a.topic_prefix],
          ['ALIAS', (a) => a.alias],
        ]);
      },
    ),
  );

  const ownerOptions = (command: Command) =>
    command.option('--registry-id <id>', 'registry ID').option('--registry-name <name>', 'registry name');
  for (const command of credentialCommands({
    kind: 'registry',
    addOwnerOptions: ownerOptions,
    ownerId: (api, options) =>
      registryId(api, options.folderId, { id: options.registryId as string | undefined, name: options.registryName as string | undefined }),
    certificates: {
      codec: RegistryCertificate,
      list: async (api, registry_id) => (await api.registries.listCertificates({ registry_id })).certificates,
      add: (api, registry_id, certificate_data) => api.registries.addCertificate({ registry_id, certificate_data }),
      remove: (api, registry_id, fingerprint) => api.registries.deleteCertificate({ registry_id, fingerprint }),
    },
    passwords: {
      codec: RegistryPassword,
      list: async (api, registry_id) => (await api.registries.listPasswords({ registry_id })).passwords,
      add: (api, registry_id, password) => api.registries.addPassword({ registry_id, password }),
      remove: (api, registry_id, password_id) => api.registries.deletePassword({ registry_id, password_id }),
    },
  }))
    group.addCommand(command);
  group.addCommand(ydsExportCommand());
  group.addCommand(
    logsCommand(
      "show the connection log of a registry: its own entries (device=<id> in --filter: those devices')",
      selector,
      async (api, options, positional) => ({
        $case: 'registry_id',
        value: await target(api, options, positional),
      }),
    ),
  );

  return group;
}

/** yc's logging flags, shared with `broker create|update`. */
export function loggingOptions(command: Command): Command {
  return command
    .option('--no-logging', 'disable connection logs')
    .option('--log-group-id <id>', 'log group ID')
    .option('--log-folder-id <id>', 'log to the default log group of this folder')
    .addOption(new Option('--min-log-level <level>', 'minimum log level').choices(LOG_LEVELS));
}

export function logOptionsFrom(options: Options): LogOptions | undefined {
  const explicit = options.logging === false || options.logGroupId || options.logFolderId || options.minLogLevel;
  if (!explicit) return undefined;
  return {
    disabled: options.logging === false,
    destination: options.logGroupId
      ? { $case: 'log_group_id', value: String(options.logGroupId) }
      : options.logFolderId
        ? { $case: 'folder_id', value: String(options.logFolderId) }
        : undefined,
    min_level: options.minLogLevel ? LOG_LEVELS.indexOf(String(options.minLogLevel)) + 1 : 0,
  };
}

function Registry_StatusName(registry: Registry): string {
  return (Registry.toJSON(registry) as { status?: string }).status ?? '';
}
