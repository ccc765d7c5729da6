// The topic policy (services/edge/topics/acl.ts) for each principal kind over arbitrary topics and
// internal topics: never throws, never lets a device at another device's topics or anyone at
// another registry's, and answers the same for the same question, remembered or not.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicPolicy } from '../../../services/edge/topics/acl.js';
import { parseCanonical, toCanonical } from '../../../services/edge/topics/namespace.js';
import type { Principal } from '../../../services/contracts/principal.js';
import { pureSession, type FuzzTarget, type InputOf } from '../target.js';
import { IDS, anyId, anyPrincipal, anyTopic } from '../support/topic-inputs.js';
import { assertWellFormed, decisionData } from '../support/decisions.js';

const KINDS = ['events', 'state', 'commands', 'config'];
const suffix = fc.constantFrom('', '/a', '/a/b', '/+', '/#');
/** Topics as they travel inside the edge: a registry's or a broker's namespace, or anything. */
const internalTopic = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(IDS.registry, IDS.otherRegistry),
      fc.constantFrom('devices/', 'registry', 'monitoring/'),
      fc.option(anyId),
      fc.constantFrom(...KINDS, 'json'),
      suffix,
    )
    .map(([registry, tree, id, kind, rest]) => `$iot/${registry}/${tree}${tree === 'registry' ? '' : (id ?? '')}/${kind}${rest}`),
  fc.tuple(fc.constantFrom(IDS.broker, 'a36fuzzbroker0000002'), anyTopic).map(([broker, topic]) => `$broker/${broker}/${topic}`),
  anyTopic,
);

const inputs = fc.record({
  principal: anyPrincipal({ validAliases: true }),
  topic: anyTopic,
  internal: internalTopic,
  /** Another device of the registry, named in topics the device must never get. */
  otherDevice: anyId.filter((id) => id !== IDS.device),
  kind: fc.constantFrom(...KINDS),
  rest: suffix,
});
type Input = InputOf<typeof inputs>;

/** Policies kept across inputs, so answers remembered among many others are compared too. */
const longLived = new Map<string, TopicPolicy>();
function longLivedPolicy(principal: Principal): TopicPolicy {
  const key = JSON.stringify(principal);
  if (longLived.size > 1000) longLived.clear();
  let policy = longLived.get(key);
  if (!policy) longLived.set(key, (policy = new TopicPolicy(principal)));
  return policy;
}

function check({ principal, topic, internal, otherDevice, kind, rest }: Input): void {
  const policy = new TopicPolicy(principal);
  const answers = (p: TopicPolicy) => [
    decisionData(p.authorizePublish(topic), internal),
    decisionData(p.authorizeSubscribe(topic), internal),
    p.mayReceive(internal),
  ];
  const first = answers(policy);
  assert.deepEqual(answers(policy), first, 'asked twice');
  assert.deepEqual(answers(longLivedPolicy(principal)), first, 'asked a policy that answered many other questions');
  assertWellFormed(policy.authorizePublish(topic));
  assertWellFormed(policy.authorizeSubscribe(topic));

  if (principal.kind === 'broker') {
    if (policy.mayReceive(internal)) assert.ok(internal.startsWith(`$broker/${principal.id}/`), `broker reads ${internal}`);
    return;
  }
  const R = principal.registry_id;
  if (policy.mayReceive(internal)) assert.ok(internal.startsWith(`$iot/${R}/`), `reads ${internal} of another namespace`);
  if (principal.kind !== 'device') return;
  // A device: never another device's commands or events, by name, through an alias or on delivery.
  assert.equal(
    policy.authorizeSubscribe(`$devices/${otherDevice}/${kind}${rest}`).ok,
    false,
    `subscribed to $devices/${otherDevice}/${kind}${rest}`,
  );
  assert.equal(
    policy.authorizePublish(`$devices/${otherDevice}/${kind}${rest}`).ok,
    false,
    `published to $devices/${otherDevice}/${kind}${rest}`,
  );
  assert.equal(policy.mayReceive(`$iot/${R}/devices/${otherDevice}/${kind}${rest}`), false, `receives ${otherDevice}'s ${kind}`);
  const publish = policy.authorizePublish(topic);
  const published = publish.ok ? parseCanonical(toCanonical(publish.internalTopic) ?? '') : undefined;
  if (published?.root === 'devices') assert.equal(published.id, principal.id, `publish ${topic} lands on device ${published.id}`);
  const subscribe = policy.authorizeSubscribe(topic);
  const subscribed = subscribe.ok ? parseCanonical(toCanonical(subscribe.internalFilter) ?? '') : undefined;
  if (subscribed?.root === 'devices')
    assert.ok([principal.id, '+', '#'].includes(subscribed.id), `subscribe ${topic} names device ${subscribed.id}`);
}

export const aclTarget: FuzzTarget<Input> = {
  name: 'acl',
  summary: 'TopicPolicy publish/subscribe/receive for each principal kind: isolation between devices and registries, deterministic answers',
  start: () => pureSession(inputs, check),
};
