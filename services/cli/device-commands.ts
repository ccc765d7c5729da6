// `iotcore device …` (yc iot device).
import { Command } from 'commander';
import { CreateDeviceRequest, UpdateDeviceRequest } from '../generated/yandex/cloud/iot/devices/v1/device_service.js';
import { Device, DeviceCertificate, DevicePassword, DeviceView } from '../generated/yandex/cloud/iot/devices/v1/device.js';
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
import { deviceId, registryId } from './resolve.js';
import type { Api } from './connection.js';

export function deviceCommands(): Command {
  const registryOptions = (command: Command) =>
    command.option('--registry-id <id>', 'registry ID').option('--registry-name <name>', 'registry name');
  // Also before the subcommand, as Yandex's docs write it: `yc iot device --registry-name r list`.
  const group = registryOptions(new Command('device').alias('devices').description('manage devices'));
  const selector = (command: Command, argument = '[NAME|ID]') =>
    registryOptions(
      command.argument(argument, 'device name or ID').option('--id <id>', 'device ID').option('--name <name>', 'device name'),
    );
  const target = (api: Api, options: Options, positional?: string) =>
    deviceId(
      api,
      options.folderId,
      { positional, id: options.id as string | undefined, name: options.name as string | undefined },
      { id: options.registryId as string | undefined, name: options.registryName as string | undefined },
    );
  const owningRegistry = (api: Api, options: Options) =>
    registryId(
      api,
      options.folderId,
      { id: options.registryId as string | undefined, name: options.registryName as string | undefined },
      'device',
    );
  const view = (options: Options) => (options.full ? DeviceView.FULL : DeviceView.BASIC);

  group.addCommand(
    withApi(
      registryOptions(
        new Command('create')
          .description('create a device')
          .argument('[NAME]', 'device name')
          .option('--name <name>', 'device name')
          .option('--description <text>', 'description')
          .option('--labels <k=v,…>', 'labels')
          .option('--topic-aliases <alias=prefix,…>', 'topic aliases; {id} in a prefix becomes the new device ID')
          .option('--certificate-file <file>', 'PEM certificate (repeatable)', collect)
          .option('--password <password>', 'device password')
          .option('--read-password', 'read the password from standard input')
          .option('--generate-password', 'generate a password and print it once on stderr'),
      ),
      async (api, options, positional) => {
        const operation = await api.devices.create(
          CreateDeviceRequest.fromPartial({
            registry_id: await owningRegistry(api, options),
            name: (options.name as string | undefined) ?? positional ?? '',
            description: (options.description as string | undefined) ?? '',
            labels: parseKeyValueList('--labels', options.labels as string | undefined),
            topic_aliases: parseKeyValueList('--topic-aliases', options.topicAliases as string | undefined),
            certificates: readCertificateFiles(options.certificateFile as string[] | undefined).map((certificate_data) => ({
              certificate_data,
            })),
            password: resolvePassword(options as PasswordFlags) ?? '',
          }),
        );
        printOperationResult(Device, operation, options);
      },
    ),
  );

  group.addCommand(
    withApi(
      selector(new Command('get').alias('describe').alias('show').description('show a device')).option(
        '--full',
        'include monitoring data (DeviceView.FULL)',
      ),
      async (api, options, positional) => {
        printResource(
          Device,
          await api.devices.get({ device_id: await target(api, options, positional), device_view: view(options) }),
          options.format,
        );
      },
    ),
  );

  group.addCommand(
    withApi(
      registryOptions(new Command('list').description('list devices of a registry (or of the folder)'))
        .option('--limit <n>', 'maximum number of items', positiveInteger, 1000)
        .option('--full', 'include monitoring data (DeviceView.FULL)'),
      async (api, options) => {
        const scoped = options.registryId || options.registryName;
        const scope = scoped
          ? { $case: 'registry_id' as const, value: await owningRegistry(api, options) }
          : { $case: 'folder_id' as const, value: options.folderId };
        const devices = await listAll(options.limit as number, async (page_size, page_token) => {
          const page = await api.devices.list({ id: scope, page_size, page_token, device_view: view(options) });
          return { items: page.devices, next: page.next_page_token };
        });
        printList(Device, devices, options.format, [
          ['ID', (d) => d.id],
          ['NAME', (d) => d.name],
          ['REGISTRY ID', (d) => d.registry_id],
        ]);
      },
    ),
  );

  group.addCommand(
    withApi(
      selector(new Command('update').description('update a device'))
        .option('--new-name <name>', 'new name')
        .option('--description <text>', 'new description')
        .option('--labels <k=v,…>', 'replace all labels')
        .option('--topic-aliases <alias=prefix,…>', 'replace all topic aliases'),
      async (api, options, positional) => {
        const request = UpdateDeviceRequest.fromPartial({ device_id: await target(api, options, positional), update_mask: [] });
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
        if (options.topicAliases !== undefined) {
          request.topic_aliases = parseKeyValueList('--topic-aliases', String(options.topicAliases));
          mask.push('topic_aliases');
        }
        if (mask.length === 0) throw new Error('nothing to update: pass --new-name, --description, --labels or --topic-aliases');
        printOperationResult(Device, await api.devices.update(request), options);
      },
    ),
  );

  group.addCommand(
    withApi(selector(new Command('delete').description('delete devices'), '[NAME|ID...]'), async (api, options, _first, positionals) => {
      await forEachTarget(positionals, async (positional) => {
        printOperationResult(undefined, await api.devices.delete({ device_id: await target(api, options, positional) }), options);
      });
    }),
  );

  const mergeCommand = (name: string, field: 'labels' | 'topic_aliases', flag: string, add: boolean) =>
    withApi(
      selector(new Command(name).description(`${add ? 'add' : 'remove'} ${field.replace('_', ' ')}`)).requiredOption(
        `${flag} <${add ? 'k=v,…' : 'keys'}>`,
        add ? 'entries to add' : 'keys to remove',
      ),
      async (api, options, positional) => {
        const device_id = await target(api, options, positional);
        const current = await api.devices.get({ device_id, device_view: DeviceView.BASIC });
        const map = { ...current[field] };
        const raw = String(options[field === 'labels' ? 'labels' : 'topicAliases']);
        if (add) Object.assign(map, parseKeyValueList(flag, raw));
        else for (const key of parseKeyList(raw)) delete map[key];
        const request = UpdateDeviceRequest.fromPartial({ device_id, update_mask: [field] });
        request[field] = map;
        printOperationResult(Device, await api.devices.update(request), options);
      },
    );
  group.addCommand(mergeCommand('add-topic-aliases', 'topic_aliases', '--topic-aliases', true));
  group.addCommand(mergeCommand('remove-topic-aliases', 'topic_aliases', '--topic-aliases', false));
  group.addCommand(mergeCommand('add-labels', 'labels', '--labels', true));
  group.addCommand(mergeCommand('remove-labels', 'labels', '--labels', false));

  const ownerOptions = (command: Command) =>
    registryOptions(command.option('--device-id <id>', 'device ID').option('--device-name <name>', 'device name'));
  for (const command of credentialCommands({
    kind: 'device',
    addOwnerOptions: ownerOptions,
    ownerId: (api, options) =>
      deviceId(
        api,
        options.folderId,
        { id: options.deviceId as string | undefined, name: options.deviceName as string | undefined },
        { id: options.registryId as string | undefined, name: options.registryName as string | undefined },
      ),
    certificates: {
      codec: DeviceCertificate,
      list: async (api, device_id) => (await api.devices.listCertificates({ device_id })).certificates,
      add: (api, device_id, certificate_data) => api.devices.addCertificate({ device_id, certificate_data }),
      remove: (api, device_id, fingerprint) => api.devices.deleteCertificate({ device_id, fingerprint }),
    },
    passwords: {
      codec: DevicePassword,
      list: async (api, device_id) => (await api.devices.listPasswords({ device_id })).passwords,
      add: (api, device_id, password) => api.devices.addPassword({ device_id, password }),
      remove: (api, device_id, password_id) => api.devices.deletePassword({ device_id, password_id }),
    },
  }))
    group.addCommand(command);
  group.addCommand(
    logsCommand('show the connection log of a device', selector, async (api, options, positional) => ({
      $case: 'device_id',
      value: await target(api, options, positional),
    })),
  );

  return group;
}
