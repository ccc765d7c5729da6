// `certificate add|list|delete` and `password add|list|delete`, shared by registries, devices
// and brokers: one implementation parameterised by how the owner is found and called.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Operation } from '../generated/yandex/cloud/operation/operation.js';
import { connect, type Api, type GlobalOptions } from './connection.js';
import { printList, printOperationResult } from './printing.js';
import { askPassword, resolvePassword, type PasswordFlags } from './arguments.js';
import type { JsonCodec } from './output.js';

interface Codec<T> extends JsonCodec<T> {
  decode(input: Uint8Array): T;
}

export interface CredentialOwner<Cert extends { fingerprint: string; created_at?: Date }, Pass extends { id: string; created_at?: Date }> {
  kind: 'registry' | 'device' | 'broker';
  /** Adds the flags that address the owner (e.g. --registry-id/--registry-name). */
  addOwnerOptions(command: Command): Command;
  ownerId(api: Api, options: GlobalOptions & Record<string, unknown>): Promise<string>;
  certificates: {
    codec: Codec<Cert>;
    list(api: Api, ownerId: string): Promise<Cert[]>;
    add(api: Api, ownerId: string, pem: string): Promise<Operation>;
    remove(api: Api, ownerId: string, fingerprint: string): Promise<Operation>;
  };
  passwords: {
    codec: Codec<Pass>;
    list(api: Api, ownerId: string): Promise<Pass[]>;
    add(api: Api, ownerId: string, password: string): Promise<Operation>;
    remove(api: Api, ownerId: string, passwordId: string): Promise<Operation>;
  };
}

export function credentialCommands<Cert extends { fingerprint: string; created_at?: Date }, Pass extends { id: string; created_at?: Date }>(
  owner: CredentialOwner<Cert, Pass>,
): Command[] {
  const run = (command: Command, body: (api: Api, options: GlobalOptions & Record<string, unknown>, ownerId: string) => Promise<void>) =>
    command.action(async (_args: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      const api = connect(options);
      try {
        await body(api, options, await owner.ownerId(api, options));
      } finally {
        api.close();
      }
    });
  const leaf = (name: string, description: string) => owner.addOwnerOptions(new Command(name).description(description));

  const certificate = new Command('certificate').alias('certificates').description(`manage ${owner.kind} certificates`);
  certificate.addCommand(
    run(
      leaf('add', `add a certificate to a ${owner.kind}`).requiredOption('--certificate-file <file>', 'PEM certificate'),
      async (api, options, id) => {
        printOperationResult(
          owner.certificates.codec,
          await owner.certificates.add(api, id, readFileSync(String(options.certificateFile), 'utf8')),
          options,
        );
      },
    ),
  );
  certificate.addCommand(
    run(leaf('list', `list certificates of a ${owner.kind}`), async (api, options, id) => {
      printList(owner.certificates.codec, await owner.certificates.list(api, id), options.format, [
        ['FINGERPRINT', (cert) => cert.fingerprint],
        ['CREATED AT', (cert) => cert.created_at?.toISOString() ?? ''],
      ]);
    }),
  );
  certificate.addCommand(
    run(
      leaf('delete', `remove a certificate from a ${owner.kind}`).requiredOption('--fingerprint <hex>', 'certificate fingerprint'),
      async (api, options, id) => {
        printOperationResult(undefined, await owner.certificates.remove(api, id, String(options.fingerprint)), options);
      },
    ),
  );

  const password = new Command('password').alias('passwords').description(`manage ${owner.kind} passwords`);
  password.addCommand(
    run(
      leaf('add', `add a password to a ${owner.kind}`)
        .option(
          '--password <password>',
          'the password (at least 14 characters, 3 of 4 character classes); asked for when no flag gives one',
        )
        .option('--read-password', 'read the password from standard input')
        .option('--generate-password', 'generate a strong password and print it once on stderr'),
      async (api, options, id) => {
        const secret = resolvePassword(options as PasswordFlags) ?? (await askPassword());
        printOperationResult(owner.passwords.codec, await owner.passwords.add(api, id, secret), options);
      },
    ),
  );
  password.addCommand(
    run(leaf('list', `list password IDs of a ${owner.kind}`), async (api, options, id) => {
      printList(owner.passwords.codec, await owner.passwords.list(api, id), options.format, [
        ['ID', (entry) => entry.id],
        ['CREATED AT', (entry) => entry.created_at?.toISOString() ?? ''],
      ]);
    }),
  );
  password.addCommand(
    run(
      leaf('delete', `remove a password from a ${owner.kind}`).requiredOption('--password-id <id>', 'password ID'),
      async (api, options, id) => {
        printOperationResult(undefined, await owner.passwords.remove(api, id, String(options.passwordId)), options);
      },
    ),
  );
  return [certificate, password];
}
