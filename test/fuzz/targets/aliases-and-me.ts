// Alias and `$me` resolution (services/edge/topics/aliases.ts) through the topic policy (acl.ts):
// arbitrary principals with arbitrary or registry-valid aliases, and topics that often start with
// one of their aliases or `$me/`.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicPolicy, type PublishDecision, type SubscribeDecision } from '../../../services/edge/topics/acl.js';
import { hasWildcard, topicFilterError } from '../../../services/edge/topics/topic-syntax.js';
import { toCanonical } from '../../../services/edge/topics/namespace.js';
import type { Principal } from '../../../services/contracts/principal.js';
import { pureSession, type FuzzTarget, type InputOf } from '../target.js';
import { anyPrincipal, anyTopic } from '../support/topic-inputs.js';
import { assertWellFormed } from '../support/decisions.js';

const ME = ['$me/device/', '$me/registry/', '$me/monitoring/', '$me/', '$me'];

/** A principal, and a topic that is arbitrary or one of its aliases (or `$me/…`) followed by anything. */
const inputs = fc.boolean().chain((validAliases) =>
  anyPrincipal({ validAliases }).chain((principal) => {
    const aliases = [...Object.keys(principal.topic_aliases), ...principal.registry_aliases.map((entry) => entry.alias), ...ME];
    const aliased = fc
      .tuple(fc.constantFrom(...aliases), fc.constantFrom('', 'events', 'commands', 'state/x', '#', '+/a', 'json'), anyTopic)
      .map(([alias, rest, tail]) => alias + rest + (tail.length % 3 === 0 ? '' : `/${tail}`));
    return fc.record({ validAliases: fc.constant(validAliases), principal: fc.constant(principal), topic: fc.oneof(anyTopic, aliased) });
  }),
);
type Input = InputOf<typeof inputs>;

/**
 * Where an accepted PUBLISH may land (docs/yandex-behaviour.md §3.2, §3.3, §3.8), after any alias or
 * `$me`: a device in its own device tree or its registry's, upstream kinds only; a registry in its
 * own namespace, downstream kinds only, a device's topic only after checking the device is its
 * own; a broker in its own namespace, never a `$` topic.
 */
function assertPublishNamespace(principal: Principal, topic: string, decision: Extract<PublishDecision, { ok: true }>): void {
  const internal = decision.internalTopic;
  if (principal.kind === 'broker') {
    assert.ok(
      !topic.startsWith('$') && internal === `$broker/${principal.id}/${topic}` && !decision.permanent && decision.exportTopic === topic,
      `broker publish ${topic} → ${internal}`,
    );
    return;
  }
  // Exports and triggers see the Yandex topic the message is delivered under.
  assert.equal(decision.exportTopic, toCanonical(internal), `publish ${topic}: export topic ${decision.exportTopic} for ${internal}`);
  const R = principal.registry_id;
  const [, tree, kind] = internal.match(/^\$iot\/[^/]+\/(devices\/[^/]*|registry)\/([^/]*)/) ?? [];
  assert.ok(
    internal.startsWith(`$iot/${R}/`) && tree !== undefined && kind !== undefined,
    `publish ${topic} → ${internal}: outside $iot/${R}/`,
  );
  if (principal.kind === 'device') {
    assert.ok(tree === `devices/${principal.id}` || tree === 'registry', `device publish ${topic} → ${internal}: another device's tree`);
    assert.ok(kind === 'events' || kind === 'state', `device publish ${topic} → ${internal}: not upstream`);
    assert.equal(decision.requiresDeviceOf, undefined);
  } else {
    assert.ok(kind === 'commands' || kind === 'config', `registry publish ${topic} → ${internal}: not downstream`);
    const deviceId = tree.startsWith('devices/') ? tree.slice('devices/'.length) : undefined;
    assert.deepEqual(
      decision.requiresDeviceOf,
      deviceId === undefined ? undefined : { deviceId, registryId: R },
      'a registry publishing to a device must have the device checked',
    );
  }
  assert.equal(decision.permanent, kind === 'state' || kind === 'config', 'permanent exactly for state and config');
}

/** No filter a client holds spans two namespaces (§3.3); with valid aliases it is a valid filter, delivered under the client's name (§3.6). */
function assertSubscribeNamespace(
  principal: Principal,
  filter: string,
  decision: Extract<SubscribeDecision, { ok: true }>,
  validAliases: boolean,
): void {
  const internal = decision.internalFilter;
  const namespace = principal.kind === 'broker' ? `$broker/${principal.id}/` : `$iot/${principal.registry_id}/`;
  assert.ok(internal.startsWith(namespace), `subscribe ${filter} → ${internal}: outside ${namespace}`);
  if (!validAliases) return;
  // The namespace prefix may take it past the limits of client filters (length, levels), nothing else.
  const error = topicFilterError(internal);
  assert.ok(
    error === undefined || error === 'filter too long' || error === 'too many filter levels',
    `subscribe ${filter} → internal filter ${internal}: ${error}`,
  );
  if (!hasWildcard(filter)) assert.equal(decision.toClient(internal), filter, 'a message arrives under the name subscribed with');
}

function check({ principal, topic, validAliases }: Input): void {
  const policy = new TopicPolicy(principal);
  const publish = policy.authorizePublish(topic);
  const subscribe = policy.authorizeSubscribe(topic);
  assertWellFormed(publish);
  assertWellFormed(subscribe);
  if (publish.ok) assertPublishNamespace(principal, topic, publish);
  if (subscribe.ok) assertSubscribeNamespace(principal, topic, subscribe, validAliases);
}

export const aliasesAndMeTarget: FuzzTarget<Input> = {
  name: 'aliases-and-me',
  summary: "alias and $me rewriting: arbitrary principals and aliases; accepted topics stay in the principal's own namespace",
  start: () => pureSession(inputs, check),
};
