// `iotcore registry yds-export add|list|delete` (yc iot registry yds-export): the registry's data
// stream export, with yc's flags (delete's --ds-export-id; --export-id as well, as earlier versions took).
import { Command } from 'commander';
import { AddDataStreamExportRequest } from '../generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { DataStreamExport } from '../generated/yandex/cloud/iot/devices/v1/registry.js';
import { withApi, type Options } from './command-runner.js';
import type { Api } from './connection.js';
import { printList, printOperationResult } from './printing.js';
import { registryId } from './resolve.js';

export function ydsExportCommand(): Command {
  const group = new Command('yds-export').description('manage the export of a registry to a data stream (on iotcore: a Kafka topic)');
  const leaf = (name: string, description: string) =>
    new Command(name)
      .description(description)
      .option('--registry-id <id>', 'registry ID')
      .option('--registry-name <name>', 'registry name');
  const registryOf = (api: Api, options: Options) =>
    registryId(api, options.folderId, { id: options.registryId as string | undefined, name: options.registryName as string | undefined });

  group.addCommand(
    withApi(
      leaf('add', "export the registry's events and commands to a stream (one export per registry)")
        .option('--name <name>', 'export name')
        .requiredOption(
          '--database <database>',
          "Yandex's Data Streams database (kept as given; the Kafka cluster of --kafka-brokers stands in for it)",
        )
        .requiredOption('--stream <stream>', 'the Kafka topic the records go to')
        .option('--mqtt-topic-filter <filter>', 'only topics matching this MQTT filter (default: every events and commands topic)')
        .option('--stream-service-account-id <id>', 'kept for round trips with Yandex; iotcore writes to Kafka with its own settings'),
      async (api, options) => {
        const operation = await api.registries.addDataStreamExport(
          AddDataStreamExportRequest.fromPartial({
            registry_id: await registryOf(api, options),
            name: (options.name as string | undefined) ?? '',
            database: options.database as string,
            stream: options.stream as string,
            mqtt_topic_filter: (options.mqttTopicFilter as string | undefined) ?? '',
            service_account_id: (options.streamServiceAccountId as string | undefined) ?? '',
          }),
        );
        printOperationResult(DataStreamExport, operation, options);
      },
    ),
  );
  group.addCommand(
    withApi(leaf('list', 'list the data stream exports of a registry'), async (api, options) => {
      const { data_stream_exports } = await api.registries.listDataStreamExports({ registry_id: await registryOf(api, options) });
      printList(DataStreamExport, data_stream_exports, options.format, [
        ['ID', (entry) => entry.id],
        ['NAME', (entry) => entry.name],
        ['MQTT TOPIC FILTER', (entry) => entry.mqtt_topic_filter],
        ['DATABASE', (entry) => entry.database],
        ['STREAM', (entry) => entry.stream],
      ]);
    }),
  );
  group.addCommand(
    withApi(
      leaf('delete', 'delete a data stream export of a registry')
        .option('--ds-export-id <id>', 'data stream export ID')
        .option('--export-id <id>', 'the same, as earlier versions of iotcore took it'),
      async (api, options) => {
        const exportId = (options.dsExportId ?? options.exportId) as string | undefined;
        if (!exportId) throw new Error('yds-export delete: pass --ds-export-id');
        const operation = await api.registries.deleteDataStreamExport({
          registry_id: await registryOf(api, options),
          data_stream_export_id: exportId,
        });
        printOperationResult(undefined, operation, options);
      },
    ),
  );
  return group;
}
