// `iotcore token …`: scoped API tokens (iotcore.access.v1; Yandex had IAM instead, so there is no
// `yc` command to mirror).
import { Command } from 'commander';
import { AccessToken, CreateAccessTokenRequest, CreateAccessTokenResponse, type Grant } from '../generated/iotcore/access/v1/access.js';
import { collect, duration } from './arguments.js';
import { withApi } from './command-runner.js';
import { printList, printResource } from './printing.js';

export function tokenCommands(): Command {
  const group = new Command('token').alias('tokens').description('manage scoped API tokens');

  group.addCommand(
    withApi(
      withGrantOptions(new Command('create').description('create a token; its secret is printed once and cannot be shown again'))
        .option('--expires-in <duration>', 'lifetime such as 30s, 15m, 24h, 90d (default: no expiry)', duration)
        .option('--description <text>', 'what the token is for'),
      async (api, options) => {
        const grants = grantOptions(options);
        const expiresIn = options.expiresIn as number | undefined;
        const response = await api.tokens.create(
          CreateAccessTokenRequest.fromPartial({
            description: (options.description as string | undefined) ?? '',
            grants,
            expires_at: expiresIn === undefined ? undefined : new Date(Date.now() + expiresIn),
          }),
        );
        printResource(CreateAccessTokenResponse, response, options.format);
      },
    ),
  );

  group.addCommand(
    withApi(
      new Command('list')
        .description('list the tokens granted on --folder-id (never their secrets)')
        .option('--all-folders', 'every token (bootstrap admin tokens only)'),
      async (api, options) => {
        const { access_tokens } = await api.tokens.list({ folder_id: options.allFolders ? '' : options.folderId });
        printList(AccessToken, access_tokens, options.format, [
          ['ID', (token) => token.id],
          ['DESCRIPTION', (token) => token.description],
          ['GRANTS', (token) => formatGrants(token.grants)],
          ['EXPIRES', (token) => token.expires_at?.toISOString() ?? 'never'],
        ]);
      },
    ),
  );

  group.addCommand(
    withApi(
      new Command('revoke')
        .alias('delete')
        .description('revoke a token: every registry replica refuses it within seconds')
        .argument('<ID>', 'token ID'),
      async (api, _options, id) => {
        await api.tokens.revoke({ token_id: id ?? '' });
      },
    ),
  );
  return group;
}

/** Adds --role and --grant, as `token create` and `iam service-account create` take them. */
export function withGrantOptions(command: Command): Command {
  return command
    .option(
      '--role <role>',
      'role on --folder-id: iot.viewer, iot.editor, iot.devices.writer, iot.registries.writer, admin (repeatable)',
      collect,
    )
    .option('--grant <folder=role>', 'a role on another folder (repeatable)', collect);
}

/** Grants as FOLDER=ROLE, comma-separated (the form --grant takes). */
export function formatGrants(grants: Grant[]): string {
  return grants.map((grant) => `${grant.folder_id}=${grant.role}`).join(',');
}

/** --role (on --folder-id) and --grant FOLDER=ROLE, as `token create` and `iam service-account create` take them. */
export function grantOptions(options: { folderId: string; role?: string[]; grant?: string[] }): Grant[] {
  const grants = [...(options.role ?? []).map((role) => ({ folder_id: options.folderId, role })), ...(options.grant ?? []).map(parseGrant)];
  if (grants.length === 0) throw new Error('pass at least one --role or --grant');
  return grants;
}

function parseGrant(value: string): Grant {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new Error(`--grant: expected FOLDER=ROLE, got "${value}"`);
  return { folder_id: value.slice(0, separator), role: value.slice(separator + 1) };
}
