// Subject `policy`: TopicPolicy (services/edge/topics/acl.ts), which every PUBLISH, SUBSCRIBE and
// delivery goes through, for each kind of principal. "cold" cycles through COLD_TOPICS distinct
// topics, so every call decides (and evicts an older decision); "warm" repeats WARM_TOPICS, which
// the policy remembers, as for a device publishing to the same few topics. Subscriptions are never
// remembered: they are rare next to publishes and deliveries.
import { TopicPolicy } from '../../services/edge/topics/acl.js';
import type { Principal } from '../../services/contracts/principal.js';
import type { Case } from './measure.js';
import {
  aliasOf,
  BROKER_ID,
  brokerPrincipal,
  COLD_TOPICS,
  deviceId,
  devicePrincipal,
  REGISTRY_ID,
  registryPrincipal,
  topics,
  WARM_TOPICS,
} from './fixtures.js';

/** A principal and topic families it is allowed, so that each case measures the path that grants. */
interface Profile {
  label: string;
  principal: Principal;
  publish: (index: number) => string;
  subscribe: (index: number) => string;
  /** An internal topic (as on the bus) the principal may read. */
  receive: (index: number) => string;
}

const REGISTRY_ALIASES = 1000;

function profiles(): Profile[] {
  const device = deviceId(0);
  return [
    {
      label: 'device',
      principal: devicePrincipal(),
      publish: (index) => `$devices/${device}/events/sensor${index}`,
      subscribe: (index) => `$devices/${device}/commands/${index}`,
      receive: (index) => `$iot/${REGISTRY_ID}/devices/${device}/commands/${index}`,
    },
    {
      // Through the aliases: each resolution is a binary search over all of them.
      label: 'registry, 1,000 aliases',
      principal: registryPrincipal(REGISTRY_ALIASES),
      publish: (index) => `${aliasOf(index % REGISTRY_ALIASES)}commands/${index}`,
      subscribe: (index) => `${aliasOf(index % REGISTRY_ALIASES)}events/${index}/#`,
      receive: (index) => `$iot/${REGISTRY_ID}/devices/${deviceId(index % REGISTRY_ALIASES)}/events/${index}`,
    },
    {
      label: 'broker',
      principal: brokerPrincipal(),
      publish: (index) => `sensors/${index}/temperature`,
      subscribe: (index) => `sensors/${index}/#`,
      receive: (index) => `$broker/${BROKER_ID}/sensors/${index}/temperature`,
    },
  ];
}

export function topicPolicyCases(): Case[] {
  return profiles().flatMap(({ label, principal, publish, subscribe, receive }) => [
    { name: `${label}: new TopicPolicy (once per CONNECT)`, run: (n) => constructing(principal, n) },
    { name: `${label}: authorizePublish, cold`, run: publishing(new TopicPolicy(principal), topics(COLD_TOPICS, publish)) },
    { name: `${label}: authorizePublish, warm`, run: publishing(new TopicPolicy(principal), topics(WARM_TOPICS, publish)) },
    { name: `${label}: authorizeSubscribe (not remembered)`, run: subscribing(new TopicPolicy(principal), topics(COLD_TOPICS, subscribe)) },
    { name: `${label}: mayReceive, cold`, run: receiving(new TopicPolicy(principal), topics(COLD_TOPICS, receive)) },
    { name: `${label}: mayReceive, warm`, run: receiving(new TopicPolicy(principal), topics(WARM_TOPICS, receive)) },
  ]);
}

function constructing(principal: Principal, n: number): TopicPolicy | undefined {
  let policy: TopicPolicy | undefined;
  for (let i = 0; i < n; i++) policy = new TopicPolicy(principal);
  return policy;
}

function publishing(policy: TopicPolicy, names: string[]): Case['run'] {
  return (n) => {
    let allowed = 0;
    for (let i = 0; i < n; i++) if (policy.authorizePublish(names[i % names.length]!).ok) allowed++;
    return allowed;
  };
}

function subscribing(policy: TopicPolicy, filters: string[]): Case['run'] {
  return (n) => {
    let allowed = 0;
    for (let i = 0; i < n; i++) if (policy.authorizeSubscribe(filters[i % filters.length]!).ok) allowed++;
    return allowed;
  };
}

function receiving(policy: TopicPolicy, internalTopics: string[]): Case['run'] {
  return (n) => {
    let allowed = 0;
    for (let i = 0; i < n; i++) if (policy.mayReceive(internalTopics[i % internalTopics.length]!)) allowed++;
    return allowed;
  };
}
