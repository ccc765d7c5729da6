// The ACL matrix of docs/yandex-behaviour.md §3.2 for PUBLISH and SUBSCRIBE, walked for every principal against every
// topic row, plus aliases, $me, narrowing, too-short and malformed topics, and brokers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicPolicy } from '../../../services/edge/topics/acl.js';
import { filterMatches } from '../../../services/contracts/topic-filter.js';
import type { Principal } from '../../../services/contracts/principal.js';

const R = 'areregistry000000001';
const D = 'aredevice00000000001';
const X = 'aredevice00000000002'; // another device of R
const R2 = 'areregistry000000002';

const base = { folder_id: 'f', credential_id: 'c', topic_aliases: {}, registry_aliases: [] };
const device: Principal = {
  ...base,
  kind: 'device',
  id: D,
  registry_id: R,
  topic_aliases: { 'home/kitchen/': `$devices/${D}/events/kitchen/`, 'my/cmd': `$devices/${D}/commands` },
};
const registry: Principal = {
  ...base,
  kind: 'registry',
  id: R,
  registry_id: R,
  registry_aliases: [{ device_id: D, alias: 'home/kitchen/', topic_prefix: `$devices/${D}/events/kitchen/` }],
};
const otherRegistry: Principal = { ...base, kind: 'registry', id: R2, registry_id: R2 };
const broker: Principal = { ...base, kind: 'broker', id: 'arebroker00000000001', registry_id: '' };

// [topic, device D may publish, device D may read, registry R may publish, registry R may read]
const matrix: Array<[string, boolean, boolean, boolean, boolean]> = [
  [`$devices/${D}/events`, true, false, false, true],
  [`$devices/${D}/events/bedroom/temperature`, true, false, false, true],
  [`$devices/${D}/state`, true, false, false, true],
  [`$devices/${D}/state/sub`, true, false, false, true],
  [`$devices/${D}/commands`, false, true, true, false],
  [`$devices/${D}/commands/x`, false, true, true, false],
  [`$devices/${D}/config`, false, true, true, false],
  [`$devices/${D}/config/x/y`, false, true, true, false],
  [`$devices/${X}/events`, false, false, false, true],
  [`$devices/${X}/commands`, false, false, true, false],
  [`$registries/${R}/events`, true, false, false, true],
  [`$registries/${R}/state/a`, true, false, false, true],
  [`$registries/${R}/commands`, false, true, true, false],
  [`$registries/${R}/config/b`, false, true, true, false],
  [`$monitoring/${D}/json`, false, true, false, true],
  [`$monitoring/${X}/json`, false, true, false, true],
  [`$registries/${R2}/events`, false, false, false, false],
  [`$registries/${R2}/commands`, false, false, false, false],
  [`$device/${D}/events`, false, false, false, false],
  [`$devices/${D}/other`, false, false, false, false],
  ['random/topic', false, false, false, false],
];

let cases = 0;

test('ACL matrix of §3.2: publish and subscribe for device and registry', () => {
  for (const [topic, devicePub, deviceSub, registryPub, registrySub] of matrix) {
    const expectations: Array<[Principal, 'pub' | 'sub', boolean]> = [
      [device, 'pub', devicePub],
      [device, 'sub', deviceSub],
      [registry, 'pub', registryPub],
      [registry, 'sub', registrySub],
    ];
    for (const [principal, action, expected] of expectations) {
      const policy = new TopicPolicy(principal);
      const decision = action === 'pub' ? policy.authorizePublish(topic) : policy.authorizeSubscribe(topic);
      let allowed = decision.ok;
      // A subscription is only as good as what it delivers: check the exact topic too.
      if (decision.ok && 'internalFilter' in decision) allowed = policy.mayReceive(decision.internalFilter);
      assert.equal(allowed, expected, `${principal.kind} ${action} ${topic}`);
      cases++;
    }
  }
});

test('another registry sees nothing of R', () => {
  const policy = new TopicPolicy(otherRegistry);
  for (const [topic] of matrix.filter(([name]) => !name.includes(R2))) {
    const publish = policy.authorizePublish(topic);
    // Publishing to a device of R is refused by the device lookup (requiresDeviceOf names R2).
    if (publish.ok) assert.equal(publish.requiresDeviceOf?.registryId, R2, topic);
    const subscribe = policy.authorizeSubscribe(topic);
    if (subscribe.ok) assert.ok(!subscribe.internalFilter.includes(`/${R}/`), `${topic} stays inside R2's namespace`);
    cases += 2;
  }
  const fromR = new TopicPolicy(device).authorizePublish(`$devices/${D}/events`);
  assert.ok(fromR.ok && !policy.mayReceive(fromR.internalTopic), 'R2 never receives R’s messages');
  cases++;
});

test('wildcards: narrowing and too-short filters', () => {
  const reg = new TopicPolicy(registry);
  const dev = new TopicPolicy(device);
  const table: Array<[TopicPolicy, string, boolean]> = [
    [reg, '$devices/#', true],
    [reg, '$devices/+/#', true],
    [reg, `$devices/${D}/#`, true],
    [reg, '$devices/+/events/#', true],
    [reg, '$devices/+/events/bedroom/+', true],
    [reg, `$devices/${D}/+`, true],
    [reg, '$devices/+', false],
    [reg, '$devices', false],
    [reg, `$devices/${D}`, false],
    [reg, '$registries/+', false],
    [reg, `$registries/${R}/commands/+`, false],
    [dev, '$registries/#', true],
    [dev, `$registries/${R}/commands/+`, true],
    [dev, `$devices/${D}/commands/#`, true],
    [dev, `$devices/${X}/commands`, false],
    [dev, '$devices/+', false],
    [dev, 'a/+/b+', false],
    [dev, 'a/#/b', false],
  ];
  for (const [policy, filter, expected] of table) {
    assert.equal(policy.authorizeSubscribe(filter).ok, expected, `${policy.principal.kind} subscribe ${filter}`);
    cases++;
  }
  // Narrowing as Yandex documents it: a registry's `$devices/#` (and `$devices/+/#`) is
  // `$devices/+/events/#` (no state, no commands); a device's `$registries/#` is its registry's
  // `commands/#` (no config, no events).
  const events = new TopicPolicy(device).authorizePublish(`$devices/${D}/events/a`);
  const state = new TopicPolicy(device).authorizePublish(`$devices/${D}/state`);
  const commands = reg.authorizePublish(`$devices/${D}/commands`);
  assert.ok(events.ok && state.ok && commands.ok);
  for (const filter of ['$devices/#', '$devices/+/#']) {
    const all = reg.authorizeSubscribe(filter);
    assert.ok(all.ok);
    assert.equal(all.internalFilter, `$iot/${R}/devices/+/events/#`, filter);
    assert.equal(all.toClient(events.internalTopic), `$devices/${D}/events/a`);
    assert.ok(filterMatches(all.internalFilter, events.internalTopic));
    assert.ok(!filterMatches(all.internalFilter, state.internalTopic), `${filter} does not read state`);
    assert.ok(!filterMatches(all.internalFilter, commands.internalTopic), `${filter} does not read commands`);
    cases += 4;
  }
  // A narrower filter of the registry still reads state, as the subscribe how-to shows.
  const deviceTree = reg.authorizeSubscribe(`$devices/${D}/#`);
  assert.ok(deviceTree.ok && filterMatches(deviceTree.internalFilter, state.internalTopic) && reg.mayReceive(state.internalTopic));
  const registryCommands = reg.authorizePublish(`$registries/${R}/commands/x`);
  const registryConfig = reg.authorizePublish(`$registries/${R}/config`);
  const registryEvents = dev.authorizePublish(`$registries/${R}/events`);
  assert.ok(registryCommands.ok && registryConfig.ok && registryEvents.ok);
  for (const filter of ['$registries/#', '$registries/+/#']) {
    const all = dev.authorizeSubscribe(filter);
    assert.ok(all.ok);
    assert.equal(all.internalFilter, `$iot/${R}/registry/commands/#`, filter);
    assert.equal(all.toClient(registryCommands.internalTopic), `$registries/${R}/commands/x`);
    assert.ok(!filterMatches(all.internalFilter, registryConfig.internalTopic), `${filter} does not read config`);
    assert.ok(!filterMatches(all.internalFilter, registryEvents.internalTopic), `${filter} does not read events`);
    cases += 4;
  }
  // The registry's own `$registries/#` is not narrowed: it reads its events and state.
  const ownRegistry = reg.authorizeSubscribe('$registries/#');
  assert.ok(ownRegistry.ok && filterMatches(ownRegistry.internalFilter, registryEvents.internalTopic));
  cases += 2;
});

test('a filter naming one device asks the edge to check the device is in the registry', () => {
  const reg = new TopicPolicy(registry);
  const dev = new TopicPolicy(device);
  for (const [policy, filter, deviceId] of [
    [reg, `$devices/${X}/events`, X],
    [reg, `$devices/${D}/#`, D],
    [reg, `$monitoring/${X}/json`, X],
    [dev, `$monitoring/${X}/json`, X],
  ] as const) {
    const decision = policy.authorizeSubscribe(filter);
    assert.ok(decision.ok, filter);
    assert.deepEqual(decision.requiresDeviceOf, { deviceId, registryId: R }, filter);
    cases++;
  }
  for (const [policy, filter] of [
    [reg, '$devices/+/events'],
    [reg, '$devices/#'],
    [dev, `$devices/${D}/commands`],
    [dev, '$me/monitoring/json'],
    [reg, `$registries/${R}/events`],
  ] as const) {
    const decision = policy.authorizeSubscribe(filter);
    assert.ok(decision.ok && decision.requiresDeviceOf === undefined, filter);
    cases++;
  }
});

test('a subtopic longer than 1024 characters is refused, 1024 passes', () => {
  const dev = new TopicPolicy(device);
  const reg = new TopicPolicy(registry);
  const subtopic = (length: number) => 'x'.repeat(length);
  assert.ok(dev.authorizePublish(`$devices/${D}/events/${subtopic(1024)}`).ok);
  assert.ok(reg.authorizeSubscribe(`$devices/${D}/events/${subtopic(1024)}`).ok);
  assert.equal(dev.authorizePublish(`$devices/${D}/events/${subtopic(1025)}`).ok, false);
  const long = dev.authorizePublish(`$devices/${D}/state/${subtopic(1025)}`);
  assert.ok(!long.ok && /subtopic/.test(long.reason));
  const longFilter = reg.authorizeSubscribe(`$devices/+/events/${subtopic(1025)}`);
  assert.ok(!longFilter.ok && /subtopic/.test(longFilter.reason));
  cases += 5;
});

test('malformed topics are refused', () => {
  for (const topic of [
    '',
    `$devices/${D}/events/+`,
    `$devices/${D}/events/#`,
    `$devices/${D}/events\0x`,
    `$devices/${D}/events/${'x'.repeat(1100)}`,
  ]) {
    assert.equal(new TopicPolicy(device).authorizePublish(topic).ok, false, JSON.stringify(topic.slice(0, 60)));
    cases++;
  }
});

test('$me and user aliases resolve, deliver under the subscribed name, and skip replay only for alias wildcards', () => {
  const dev = new TopicPolicy(device);
  const me = dev.authorizeSubscribe('$me/device/commands');
  assert.ok(me.ok);
  const command = new TopicPolicy(registry).authorizePublish(`$devices/${D}/commands`);
  assert.ok(command.ok);
  assert.equal(me.internalFilter, command.internalTopic);
  assert.equal(me.toClient(command.internalTopic), '$me/device/commands');
  assert.equal(me.replayPermanent, true);

  const published = dev.authorizePublish('home/kitchen/temperature');
  assert.ok(published.ok);
  assert.equal(published.internalTopic, `$iot/${R}/devices/${D}/events/kitchen/temperature`);
  const aliasSub = new TopicPolicy(registry).authorizeSubscribe('home/kitchen/+');
  assert.ok(aliasSub.ok);
  assert.equal(aliasSub.toClient(published.internalTopic), 'home/kitchen/temperature');
  assert.equal(aliasSub.replayPermanent, false, 'no stored state through wildcard aliases');
  // `alias/#` matches the alias's own level too, which arrives named by the alias without its slash.
  const parent = dev.authorizePublish(`$devices/${D}/events/kitchen`);
  assert.ok(parent.ok);
  const aliasAll = new TopicPolicy(registry).authorizeSubscribe('home/kitchen/#');
  assert.ok(aliasAll.ok);
  assert.equal(aliasAll.toClient(parent.internalTopic), 'home/kitchen');
  assert.equal(aliasAll.toClient(published.internalTopic), 'home/kitchen/temperature');
  const meAll = dev.authorizeSubscribe('$me/device/#');
  assert.ok(meAll.ok);
  assert.equal(meAll.toClient(command.internalTopic), '$me/device/commands');
  const meRegistry = dev.authorizeSubscribe('$me/registry/commands');
  assert.ok(meRegistry.ok && meRegistry.toClient(`$iot/${R}/registry/commands`) === '$me/registry/commands');
  assert.ok(dev.authorizeSubscribe('$me/monitoring/json').ok);
  assert.equal(dev.authorizePublish('$me/monitoring/json').ok, false);
  assert.ok(dev.authorizePublish('$me/device/state/x').ok);
  assert.ok(dev.authorizeSubscribe('my/cmd').ok);
  cases += 12;
});

test('a filter beginning with no whole alias matches alias names only (`#`: every alias)', () => {
  const dev = new TopicPolicy(device);
  const command = new TopicPolicy(registry).authorizePublish(`$devices/${D}/commands`);
  const kitchen = dev.authorizePublish('home/kitchen/temperature');
  const other = dev.authorizePublish(`$devices/${D}/events/other`);
  assert.ok(command.ok && kitchen.ok && other.ok);
  const every = dev.authorizeSubscribe('#');
  assert.ok(every.ok);
  assert.equal(every.replayPermanent, false);
  assert.notEqual(every.internalFilter, (dev.authorizeSubscribe(`$devices/${D}/#`) as { internalFilter: string }).internalFilter);
  assert.equal(every.toClient(command.internalTopic), 'my/cmd');
  assert.equal(every.toClient(kitchen.internalTopic), 'home/kitchen/temperature');
  assert.equal(every.toClient(other.internalTopic), undefined, 'under no alias');
  const twoLevels = dev.authorizeSubscribe('+/+');
  assert.ok(twoLevels.ok);
  assert.equal(twoLevels.toClient(command.internalTopic), 'my/cmd');
  assert.equal(twoLevels.toClient(kitchen.internalTopic), undefined, 'home/kitchen/temperature has three levels');
  const throughRegistry = new TopicPolicy(registry).authorizeSubscribe('home/+/temperature');
  assert.ok(throughRegistry.ok);
  assert.equal(throughRegistry.toClient(kitchen.internalTopic), 'home/kitchen/temperature');
  assert.equal(
    throughRegistry.toClient(`$iot/${R}/devices/another/events/kitchen/temperature`),
    undefined,
    'another device has no such alias',
  );
  assert.equal(new TopicPolicy({ ...device, topic_aliases: {} }).authorizeSubscribe('#').ok, false, 'without aliases: refused');
  cases += 12;
});

test('brokers: any non-$ topic, isolated per broker', () => {
  const policy = new TopicPolicy(broker);
  const publish = policy.authorizePublish('plant/1/temp');
  assert.ok(publish.ok);
  const subscribe = policy.authorizeSubscribe('plant/+/temp');
  assert.ok(subscribe.ok && subscribe.toClient(publish.internalTopic) === 'plant/1/temp');
  assert.equal(policy.authorizePublish('$devices/x/events').ok, false);
  assert.equal(policy.authorizeSubscribe('$SYS/#').ok, false);
  assert.equal(new TopicPolicy({ ...base, kind: 'broker', id: 'other', registry_id: '' }).mayReceive(publish.internalTopic), false);
  assert.equal(new TopicPolicy(device).mayReceive(publish.internalTopic), false);
  cases += 6;
});

test('case count', () => {
  console.log(`ACL cases checked: ${cases}`);
  assert.ok(cases >= 120);
});
