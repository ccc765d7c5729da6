// `iotcore import yandex`: moves a Yandex IoT Core folder (registries, devices, brokers,
// certificates, aliases, password IDs) into iotcore with every ID kept.
import { readFileSync } from 'node:fs';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Command, Option } from 'commander';
import { readDump } from '../migration/dump-reader.js';
import { readFolderFromApi, YANDEX_BROKER_ENDPOINT, YANDEX_DEVICES_ENDPOINT } from '../migration/api-reader.js';
import { importSnapshot, type ImportTarget } from '../migration/importer.js';
import { GeneratedPasswordsFile, readPasswordsFile } from '../migration/password-sources.js';
import { failed, renderReport } from '../migration/import-report.js';
import { progressBar } from '../migration/progress.js';
import type { FolderSnapshot } from '../migration/yandex-snapshot.js';
import type { Api } from './connection.js';
import { withApi, type Options } from './command-runner.js';

interface ImportFlags {
  dump?: string;
  api?: boolean;
  yandexEndpoint?: string;
  yandexBrokerEndpoint?: string;
  yandexToken?: string;
  yandexInsecure?: boolean;
  yandexCa?: string;
  intoFolderId?: string;
  dryRun?: boolean;
  passwordsFile?: string;
  generatePasswords?: string;
}

export function importCommands(): Command {
  const group = new Command('import').description('import resources from another service');
  group.addCommand(
    withApi(
      new Command('yandex')
        .description('import a Yandex IoT Core folder with all IDs kept, from a `yc --format json` dump or the live API')
        .option('--dump <dir>', 'read a dump directory (see scripts/yandex-dump.sh)')
        .option('--api', "read the folder through Yandex's gRPC API (--folder-id, --yandex-token)")
        .addOption(new Option('--yandex-endpoint <host:port>', `Yandex devices API (default ${YANDEX_DEVICES_ENDPOINT})`))
        .addOption(
          new Option(
            '--yandex-broker-endpoint <host:port>',
            `Yandex broker API (default ${YANDEX_BROKER_ENDPOINT}, or --yandex-endpoint when given)`,
          ),
        )
        .addOption(new Option('--yandex-token <token>', 'Yandex IAM token (yc iam create-token)').env('YC_TOKEN'))
        .option('--yandex-ca <file>', 'PEM roots for the Yandex endpoint instead of the system ones')
        .addOption(new Option('--yandex-insecure', 'plaintext gRPC to the Yandex endpoint (testing only)').hideHelp())
        .option('--into-folder-id <id>', 'put registries and brokers into this iotcore folder (default: keep the Yandex folder ID)')
        .option('--dry-run', 'print the plan (create/update/unchanged/conflict per resource) and write nothing')
        .option('--passwords-file <csv>', 'CSV entity_id,password[,password_id] from your own provisioning records')
        .option('--generate-passwords <csv>', 'give entities without a known password a new one, appended to this CSV (mode 0600)'),
      async (api, options) => {
        const flags = options as Options & ImportFlags;
        if (flags.format === 'yaml') throw new Error('import prints --format text or json');
        const format = flags.format as 'text' | 'json';
        const snapshot = await readSource(flags, format);
        const progress = progressBar('importing', format === 'text');
        const report = await importSnapshot(snapshot, importTarget(api), {
          dryRun: Boolean(flags.dryRun),
          intoFolderId: flags.intoFolderId,
          supplied: flags.passwordsFile ? await readPasswordsFile(flags.passwordsFile) : [],
          generate: flags.generatePasswords ? new GeneratedPasswordsFile(flags.generatePasswords) : undefined,
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        process.stdout.write(renderReport(report, format, flags.generatePasswords));
        if (failed(report)) process.exitCode = 1;
      },
    ),
  );
  return group;
}

async function readSource(flags: ImportFlags & Options, format: string): Promise<FolderSnapshot> {
  if (Boolean(flags.dump) === Boolean(flags.api)) throw new Error('pass exactly one of --dump <dir> or --api');
  if (flags.dump) return readDump(flags.dump);
  if (!flags.yandexToken) throw new Error('--api needs an IAM token: --yandex-token or YC_TOKEN (yc iam create-token)');
  const progress = progressBar('reading Yandex', format === 'text');
  try {
    return await readFolderFromApi({
      devicesEndpoint: flags.yandexEndpoint ?? YANDEX_DEVICES_ENDPOINT,
      brokerEndpoint: flags.yandexBrokerEndpoint ?? flags.yandexEndpoint ?? YANDEX_BROKER_ENDPOINT,
      token: flags.yandexToken,
      folderId: flags.folderId,
      insecure: flags.yandexInsecure,
      caPem: flags.yandexCa ? readFileSync(flags.yandexCa) : undefined,
      onProgress: ({ done, total }) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
}

function importTarget(api: Api): ImportTarget {
  const ids = async (list: () => Promise<{ passwords: Array<{ id: string }> }>) => {
    try {
      return (await list()).passwords.map((password) => password.id);
    } catch (error) {
      if ((error as ServiceError).code === status.NOT_FOUND) return [];
      throw error;
    }
  };
  return {
    imports: api.imports,
    listExports: async (registryId) => {
      try {
        return (await api.registries.listDataStreamExports({ registry_id: registryId })).data_stream_exports;
      } catch (error) {
        if ((error as ServiceError).code === status.NOT_FOUND) return [];
        throw error;
      }
    },
    addExport: async ({ registry_id, name, mqtt_topic_filter, database, stream, service_account_id }) => {
      await api.registries.addDataStreamExport({ registry_id, name, mqtt_topic_filter, database, stream, service_account_id });
    },
    passwordIds: (kind, id) =>
      kind === 'registry'
        ? ids(() => api.registries.listPasswords({ registry_id: id }))
        : kind === 'device'
          ? ids(() => api.devices.listPasswords({ device_id: id }))
          : ids(() => api.brokers.listPasswords({ broker_id: id })),
  };
}
