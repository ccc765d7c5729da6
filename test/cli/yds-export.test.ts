// `iotcore registry yds-export add|list|delete` against the registry API: yc's flags, yc's JSON
// field names, and the API's errors passed on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from '../support/serve-process.js';
import { ADMIN_TOKEN, startApi } from '../registry/api/harness.js';

const run = promisify(execFile);

test('yds-export add, list and delete by registry name, with JSON as yc prints it', async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  // The in-process test API is plaintext (`iotcore serve --api-plaintext`'s counterpart).
  const env = {
    ...process.env,
    IOTCORE_ENDPOINT: harness.address,
    IOTCORE_API_PLAINTEXT: 'true',
    IOTCORE_TOKEN: ADMIN_TOKEN,
    IOTCORE_FOLDER_ID: 'folder-a',
  };
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env })).stdout;
  const registry = JSON.parse(await cli('registry', 'create', '--name', 'plant', '--format', 'json'));

  const added = JSON.parse(
    await cli(
      ...['registry', 'yds-export', 'add', '--registry-name', 'plant', '--name', 'telemetry', '--database', '/ru-central1/b1g/etn'],
      ...['--stream', 'plant-telemetry', '--mqtt-topic-filter', '$devices/+/events/#', '--format', 'json'],
    ),
  );
  assert.deepEqual(
    { ...added, id: undefined, created_at: undefined },
    {
      id: undefined,
      created_at: undefined,
      name: 'telemetry',
      registry_id: registry.id,
      mqtt_topic_filter: '$devices/+/events/#',
      database: '/ru-central1/b1g/etn',
      stream: 'plant-telemetry',
    },
  );
  const listed = JSON.parse(await cli('registry', 'yds-export', 'list', '--registry-id', registry.id, '--format', 'json'));
  assert.deepEqual(
    listed.map((entry: { id: string }) => entry.id),
    [added.id],
  );
  const table = await cli('registry', 'yds-export', 'list', '--registry-name', 'plant');
  assert.match(table, /plant-telemetry/);

  await assert.rejects(
    cli('registry', 'yds-export', 'add', '--registry-name', 'plant', '--database', 'db', '--stream', 'not/a/topic'),
    /stream: is the Kafka topic the records go to/,
  );
  await cli('registry', 'yds-export', 'delete', '--registry-name', 'plant', '--ds-export-id', added.id);
  assert.deepEqual(JSON.parse(await cli('registry', 'yds-export', 'list', '--registry-name', 'plant', '--format', 'json')), []);
});
