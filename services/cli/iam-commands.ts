// `iotcore iam …`: service accounts and their authorized keys, for Yandex's SDKs (and anything else
// that signs a JWT with a `yc iam key create` file). Mirrors the `yc iam service-account` and
// `yc iam key` commands that matter here; roles are granted at creation, as with `iotcore token`.
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { Key, ServiceAccount, type CreateKeyResponse } from '../generated/iotcore/access/v1/access.js';
import { withApi } from './command-runner.js';
import type { Api } from './connection.js';
import { printList, printResource } from './printing.js';
import { formatGrants, grantOptions, withGrantOptions } from './token-commands.js';

export function iamCommands(): Command {
  const group = new Command('iam').description('service accounts and authorized keys (for Yandex SDKs)');
  group.addCommand(serviceAccountCommands());
  group.addCommand(keyCommands());
  return group;
}

function serviceAccountCommands(): Command {
  const group = new Command('service-account').description('manage service accounts of --folder-id');
  group.addCommand(
    withApi(
      withGrantOptions(
        new Command('create')
          .description('create a service account with roles')
          .requiredOption('--name <name>', 'name, unique in the folder'),
      ).option('--description <text>', 'what the account is for'),
      async (api, options) => {
        const account = await api.serviceAccounts.create({
          folder_id: options.folderId,
          name: options.name as string,
          description: (options.description as string | undefined) ?? '',
          grants: grantOptions(options),
        });
        printResource(ServiceAccount, account, options.format);
      },
    ),
  );
  group.addCommand(
    withApi(new Command('list').description('list the service accounts of --folder-id'), async (api, options) => {
      const { service_accounts } = await api.serviceAccounts.list({ folder_id: options.folderId });
      printList(ServiceAccount, service_accounts, options.format, [
        ['ID', (account) => account.id],
        ['NAME', (account) => account.name],
        ['GRANTS', (account) => formatGrants(account.grants)],
      ]);
    }),
  );
  group.addCommand(
    withApi(
      new Command('delete')
        .description('delete a service account and its keys: IAM tokens made from them stop working within seconds')
        .argument('<NAME|ID>', 'service account'),
      async (api, options, account) => {
        await api.serviceAccounts.delete({ service_account_id: await serviceAccountId(api, options.folderId, account ?? '') });
      },
    ),
  );
  return group;
}

function keyCommands(): Command {
  const group = new Command('key').description("manage a service account's authorized keys");
  group.addCommand(
    withApi(
      new Command('create')
        .description('create a key and write it as `yc iam key create` does (the private key is not kept anywhere else)')
        .requiredOption('--service-account <NAME|ID>', 'service account (name in --folder-id, or ID)')
        .option('--output <file>', 'write the key JSON here (mode 0600) instead of stdout')
        .option('--description <text>', 'what the key is for'),
      async (api, options) => {
        const response = await api.serviceAccounts.createKey({
          service_account_id: await serviceAccountId(api, options.folderId, options.serviceAccount as string),
          description: (options.description as string | undefined) ?? '',
        });
        const json = `${JSON.stringify(keyFile(response), null, 2)}\n`;
        if (options.output) await writeFile(options.output as string, json, { mode: 0o600 });
        else process.stdout.write(json);
      },
    ),
  );
  group.addCommand(
    withApi(
      new Command('list').description("list a service account's keys").requiredOption('--service-account <NAME|ID>', 'service account'),
      async (api, options) => {
        const { keys } = await api.serviceAccounts.listKeys({
          service_account_id: await serviceAccountId(api, options.folderId, options.serviceAccount as string),
        });
        printList(Key, keys, options.format, [
          ['ID', (key) => key.id],
          ['ALGORITHM', (key) => key.key_algorithm],
          ['CREATED', (key) => key.created_at?.toISOString() ?? ''],
        ]);
      },
    ),
  );
  group.addCommand(
    withApi(
      new Command('delete').description('delete a key: IAM tokens made with it stop working within seconds').argument('<ID>', 'key ID'),
      async (api, _options, id) => {
        await api.serviceAccounts.deleteKey({ key_id: id ?? '' });
      },
    ),
  );
  return group;
}

/** The fields and names of `yc iam key create --output`'s file, which the SDKs read. */
function keyFile(response: CreateKeyResponse) {
  const key = response.key!;
  return {
    id: key.id,
    service_account_id: key.service_account_id,
    created_at: key.created_at?.toISOString(),
    key_algorithm: key.key_algorithm,
    public_key: key.public_key,
    private_key: response.private_key,
  };
}

/** A name in the folder, else taken as an ID (the API answers NOT_FOUND for an unknown one). */
async function serviceAccountId(api: Api, folderId: string, nameOrId: string): Promise<string> {
  const { service_accounts } = await api.serviceAccounts.list({ folder_id: folderId });
  return service_accounts.find((account) => account.name === nameOrId)?.id ?? nameOrId;
}
