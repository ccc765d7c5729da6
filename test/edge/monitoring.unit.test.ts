// Device activity as the edge reports it: the times of auth, publish, subscribe and disconnect,
// once a second per active device, to the registry and as `$monitoring/<device>/json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceActivity, RegistryLink } from '../../services/contracts/registry-link.js';
import { DeviceMonitor } from '../../services/edge/monitoring.js';

/** `wanted`: the devices whose `$monitoring` someone could receive (every one when omitted). */
function setup(wanted: (deviceId: string) => boolean = () => true) {
  const reports: DeviceActivity[][] = [];
  const published: Array<{ registryId: string; deviceId: string; json: Record<string, string> }> = [];
  const link = { reportActivity: async (batch: DeviceActivity[]) => void reports.push(batch) } as unknown as RegistryLink;
  const monitor = new DeviceMonitor(
    link,
    {
      wanted: (_registryId, deviceId) => wanted(deviceId),
      publish: (registryId, deviceId, payload) => published.push({ registryId, deviceId, json: JSON.parse(payload.toString()) }),
    },
    (error) => assert.fail(String(error)),
    60_000,
  );
  return { monitor, reports, published };
}

test('publish and subscribe times are reported as Dates at the next flush, once per device', async (t) => {
  const { monitor, reports, published } = setup();
  t.after(() => monitor.close());
  const before = Date.now();
  monitor.record('dev1', 'reg1', { last_auth_time: new Date(before), last_auth_ip: '10.0.0.1' });
  monitor.touch('dev1', 'reg1', 'last_pub_activity_time');
  monitor.touch('dev1', 'reg1', 'last_pub_activity_time');
  monitor.touch('dev2', 'reg1', 'last_sub_activity_time');
  const after = Date.now();
  await monitor.flush();
  assert.equal(reports.length, 1);
  const [dev1, dev2] = reports[0]!;
  assert.equal(dev1!.device_id, 'dev1');
  assert.equal(dev1!.last_auth_ip, '10.0.0.1');
  assert.ok(dev1!.last_pub_activity_time instanceof Date);
  const pub = dev1!.last_pub_activity_time.getTime();
  assert.ok(pub >= before && pub <= after, 'the time of the last publish');
  assert.equal(dev2!.device_id, 'dev2');
  assert.ok(dev2!.last_sub_activity_time instanceof Date);
  assert.equal(dev2!.last_pub_activity_time, undefined);
  assert.deepEqual(
    published.map(({ deviceId, json }) => [deviceId, json.last_pub_activity_time]),
    [
      ['dev1', new Date(pub).toISOString()],
      ['dev2', undefined],
    ],
  );

  // Nothing new: nothing reported. A later publish: only it, with the earlier times kept in $monitoring.
  await monitor.flush();
  assert.equal(reports.length, 1);
  monitor.touch('dev1', 'reg1', 'last_pub_activity_time');
  await monitor.flush();
  assert.deepEqual(Object.keys(reports[1]![0]!).sort(), ['device_id', 'last_pub_activity_time']);
  const latest = published.at(-1)!;
  assert.equal(latest.json.last_auth_ip, '10.0.0.1');
  assert.equal(latest.json.registry_id, 'reg1');
});

test('$monitoring is built only for devices someone could receive it for; the registry gets every report', async (t) => {
  const watched = new Set(['dev2']);
  const { monitor, reports, published } = setup((deviceId) => watched.has(deviceId));
  t.after(() => monitor.close());
  for (const deviceId of ['dev1', 'dev2', 'dev3']) monitor.touch(deviceId, 'reg1', 'last_pub_activity_time');
  await monitor.flush();
  assert.deepEqual(
    reports.flat().map((activity) => activity.device_id),
    ['dev1', 'dev2', 'dev3'],
  );
  assert.deepEqual(
    published.map(({ deviceId }) => deviceId),
    ['dev2'],
  );
  // A subscriber that arrives later gets the device's next message, with every time known so far.
  watched.add('dev1');
  monitor.touch('dev1', 'reg1', 'last_sub_activity_time');
  await monitor.flush();
  assert.equal(published.at(-1)!.deviceId, 'dev1');
  assert.ok(published.at(-1)!.json.last_pub_activity_time && published.at(-1)!.json.last_sub_activity_time);
});

test('a flush of many devices lets other work run between slices, and reports each device once in bounded batches', async (t) => {
  const { monitor, reports, published } = setup();
  t.after(() => monitor.close());
  const DEVICES = 2_345;
  for (let i = 0; i < DEVICES; i++) monitor.touch(`dev${i}`, 'reg1', 'last_pub_activity_time');
  let ranDuringFlush = 0;
  let flushed = false;
  const other = () =>
    setImmediate(() => {
      if (flushed) return;
      ranDuringFlush++;
      other();
    });
  other();
  await monitor.flush();
  flushed = true;
  assert.ok(ranDuringFlush >= DEVICES / 100 - 1, `other work ran ${ranDuringFlush} times during the flush`);
  assert.ok(reports.length > 1 && reports.every((batch) => batch.length <= 500), `batches of ${reports.map((b) => b.length)}`);
  const reported = reports.flat().map((activity) => activity.device_id);
  assert.equal(new Set(reported).size, DEVICES);
  assert.equal(reported.length, DEVICES);
  assert.equal(published.length, DEVICES);
});

test("flushes never overlap, the timer's included: a device touched during one is in the next", async (t) => {
  let inFlight = 0;
  let most = 0;
  const reports: DeviceActivity[][] = [];
  const link = {
    reportActivity: async (batch: DeviceActivity[]) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      reports.push(batch);
      inFlight--;
    },
  } as unknown as RegistryLink;
  // A timer far shorter than one report.
  const monitor = new DeviceMonitor(link, { wanted: () => true, publish: () => undefined }, (error) => assert.fail(String(error)), 5);
  t.after(() => monitor.close());
  monitor.touch('dev1', 'reg1', 'last_pub_activity_time');
  const first = monitor.flush();
  await new Promise((resolve) => setTimeout(resolve, 10));
  monitor.touch('dev1', 'reg1', 'last_sub_activity_time');
  await Promise.all([first, monitor.flush()]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(most, 1, 'one report at a time');
  assert.deepEqual(
    reports.map((batch) => batch.map((activity) => Object.keys(activity).sort().join())),
    [['device_id,last_pub_activity_time'], ['device_id,last_sub_activity_time']],
  );
});
