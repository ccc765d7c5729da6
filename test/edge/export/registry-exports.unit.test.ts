// Which messages an edge offers to which export: exported topics only, through each export's
// filter, device ID or empty for the registry, never brokers; exports learned once per registry,
// refreshed in the background with steady traffic, and never used past their time to live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ExportRecord, RegistryExport } from '../../../services/contracts/data-stream-export.js';
import type { Principal } from '../../../services/contracts/principal.js';
import { EXPORTS_TTL_MS, RegistryExports } from '../../../services/edge/export/registry-exports.js';

const principal = (kind: Principal['kind'], id: string, registry_id: string): Principal => ({
  kind,
  id,
  registry_id,
  folder_id: 'f',
  credential_id: 'c',
  topic_aliases: {},
  registry_aliases: [],
});
const device = principal('device', 'dev1', 'reg1');
const registry = principal('registry', 'reg1', 'reg1');

function setup(exportsByRegistry: Record<string, RegistryExport[]>) {
  const asked: string[] = [];
  const written: Array<[string, ExportRecord]> = [];
  let clock = 0;
  const link = {
    registryExports: async (registryId: string) => {
      asked.push(registryId);
      return exportsByRegistry[registryId] ?? [];
    },
  };
  const exports = new RegistryExports(
    link,
    (stream, record) => written.push([stream, record]),
    pino({ level: 'silent' }),
    () => clock,
  );
  return { exports, asked, written, advance: (ms: number) => (clock += ms) };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('events and commands through each filter, in arrival order, with the sender as device_id', async () => {
  const { exports, written, asked } = setup({
    reg1: [
      { id: 'e1', mqtt_topic_filter: '', stream: 'all' },
      { id: 'e2', mqtt_topic_filter: '$devices/+/events/#', stream: 'events-only' },
    ],
  });
  exports.offer(device, '$devices/dev1/events/t', Buffer.from('1'));
  exports.offer(device, '$devices/dev1/state', Buffer.from('not exported'));
  exports.offer(registry, '$devices/dev1/commands', Buffer.from('2'));
  exports.offer(principal('broker', 'b1', ''), '$devices/dev1/events', Buffer.from('brokers are never exported'));
  await settle();
  exports.offer(device, '$devices/dev1/events', Buffer.from('3'));
  assert.deepEqual(
    written.map(([stream, record]) => [stream, record.device_id, record.mqtt_topic, record.payload]),
    [
      ['all', 'dev1', '$devices/dev1/events/t', '1'],
      ['events-only', 'dev1', '$devices/dev1/events/t', '1'],
      ['all', '', '$devices/dev1/commands', '2'],
      ['all', 'dev1', '$devices/dev1/events', '3'],
      ['events-only', 'dev1', '$devices/dev1/events', '3'],
    ],
  );
  assert.deepEqual(asked, ['reg1'], 'asked once for the registry');
});

test('with steady traffic the exports are asked again at half their time to live, and no message waits', async () => {
  const table: Record<string, RegistryExport[]> = { reg1: [{ id: 'e1', mqtt_topic_filter: '', stream: 'old' }] };
  const { exports, written, asked, advance } = setup(table);
  exports.offer(device, '$devices/dev1/events', Buffer.from('1'));
  await settle();
  table.reg1 = [{ id: 'e2', mqtt_topic_filter: '', stream: 'new' }];
  advance(EXPORTS_TTL_MS / 2 + 1);
  exports.offer(device, '$devices/dev1/events', Buffer.from('2'));
  assert.deepEqual(
    written.map(([stream, record]) => [stream, record.payload]),
    [
      ['old', '1'],
      ['old', '2'],
    ],
    'handed on at once, by the answer still in time',
  );
  await settle();
  exports.offer(device, '$devices/dev1/events', Buffer.from('3'));
  assert.deepEqual(written.at(-1)?.[0], 'new');
  assert.deepEqual(asked, ['reg1', 'reg1']);
});

test('after a quiet spell longer than the time to live, the next message waits for a fresh answer', async () => {
  const table: Record<string, RegistryExport[]> = { reg1: [{ id: 'e1', mqtt_topic_filter: '', stream: 'old' }] };
  const { exports, written, asked, advance } = setup(table);
  exports.offer(device, '$devices/dev1/events', Buffer.from('1'));
  await settle();
  // Deleted and replaced while the registry was quiet.
  table.reg1 = [{ id: 'e2', mqtt_topic_filter: '', stream: 'new' }];
  advance(EXPORTS_TTL_MS + 1);
  exports.offer(device, '$devices/dev1/events', Buffer.from('2'));
  exports.offer(device, '$devices/dev1/events', Buffer.from('3'));
  assert.equal(written.length, 1, 'not by the old answer');
  await settle();
  exports.offer(device, '$devices/dev1/events', Buffer.from('4'));
  assert.deepEqual(
    written.map(([stream, record]) => [stream, record.payload]),
    [
      ['old', '1'],
      ['new', '2'],
      ['new', '3'],
      ['new', '4'],
    ],
  );
  assert.deepEqual(asked, ['reg1', 'reg1']);
});

test('a registry without exports is asked again after the time to live, so a new export takes effect', async () => {
  const table: Record<string, RegistryExport[]> = { reg1: [] };
  const { exports, written, asked, advance } = setup(table);
  exports.offer(device, '$devices/dev1/events', Buffer.from('1'));
  await settle();
  table.reg1 = [{ id: 'e1', mqtt_topic_filter: '', stream: 'new' }];
  exports.offer(device, '$devices/dev1/events', Buffer.from('2'));
  advance(EXPORTS_TTL_MS + 1);
  exports.offer(device, '$devices/dev1/events', Buffer.from('3'));
  await settle();
  exports.offer(device, '$devices/dev1/events', Buffer.from('4'));
  // 2 is within the time to live of "none"; 3 waits for the fresh answer.
  assert.deepEqual(
    written.map(([stream, record]) => [stream, record.payload]),
    [
      ['new', '3'],
      ['new', '4'],
    ],
  );
  assert.deepEqual(asked, ['reg1', 'reg1']);
});
