// Subject `filters`: filterMatches (services/edge/topics/topic-syntax.ts), and the per-session route
// lookups of every delivery (services/edge/topics/routes.ts), which scan the session's
// subscriptions with it. Hits match the last subscription and misses match none, so both scan
// them all. liveRoute remembers a route per topic: "cold" cycles through COLD_TOPICS distinct
// topics, "warm" repeats WARM_TOPICS; replayRoute (stored permanent values) remembers nothing.
import { filterMatches } from '../../services/edge/topics/topic-syntax.js';
import { liveRoute, replayRoute, type Route, type RoutedSubscription } from '../../services/edge/topics/routes.js';
import { TopicPolicy } from '../../services/edge/topics/acl.js';
import type { Case } from './measure.js';
import { COLD_TOPICS, deviceId, REGISTRY_ID, registryPrincipal, topics, WARM_TOPICS } from './fixtures.js';

const SESSION_SIZES = [1, 10, 100];

export function filterMatchingCases(): Case[] {
  const events = (device: number) => `$iot/${REGISTRY_ID}/devices/${deviceId(device)}/events`;
  return [
    { name: 'filterMatches, exact, hit', run: matching(events(0), events(0)) },
    { name: 'filterMatches, +, hit', run: matching(`$iot/${REGISTRY_ID}/devices/+/events`, events(0)) },
    { name: 'filterMatches, #, hit', run: matching(`${events(0)}/#`, `${events(0)}/kitchen/temperature`) },
    { name: 'filterMatches, miss at the last level', run: matching(events(0), `$iot/${REGISTRY_ID}/devices/${deviceId(0)}/state`) },
    ...SESSION_SIZES.flatMap((size) => {
      const hits = topics(COLD_TOPICS, (index) => `${events(size - 1)}/${index}`);
      const misses = topics(COLD_TOPICS, (index) => `${events(size)}/${index}`);
      const label = `${size} subscription${size === 1 ? '' : 's'}`;
      return [
        { name: `liveRoute, ${label}, hit, cold`, run: routingLive(size, hits) },
        { name: `liveRoute, ${label}, miss, cold`, run: routingLive(size, misses) },
        { name: `replayRoute, ${label}, hit`, run: routingReplay(size, hits) },
        { name: `replayRoute, ${label}, miss`, run: routingReplay(size, misses) },
      ];
    }),
    {
      name: 'liveRoute, 100 subscriptions, hit, warm',
      run: routingLive(
        100,
        topics(WARM_TOPICS, (index) => `${events(99)}/${index}`),
      ),
    },
  ];
}

function matching(filter: string, topic: string): Case['run'] {
  return (n) => {
    let matched = 0;
    for (let i = 0; i < n; i++) if (filterMatches(filter, topic)) matched++;
    return matched;
  };
}

/** A registry session subscribed to `$devices/<id>/events/#` of its first `size` devices, as the policy grants it. */
function session(size: number): Map<string, RoutedSubscription> {
  const policy = new TopicPolicy(registryPrincipal(0));
  const subscriptions = new Map<string, RoutedSubscription>();
  for (let device = 0; device < size; device++) {
    const decision = policy.authorizeSubscribe(`$devices/${deviceId(device)}/events/#`);
    if (!decision.ok) throw new Error(decision.reason);
    subscriptions.set(decision.internalFilter, {
      toClient: decision.toClient,
      replayPermanent: decision.replayPermanent,
      replayed: 0,
      qos: 1,
    });
  }
  return subscriptions;
}

function routingLive(size: number, internalTopics: string[]): Case['run'] {
  const subscriptions = session(size);
  const routes = new Map<string, Route | null>();
  return (n) => {
    let routed = 0;
    for (let i = 0; i < n; i++) if (liveRoute(subscriptions, routes, internalTopics[i % internalTopics.length]!, 256)) routed++;
    return routed;
  };
}

function routingReplay(size: number, internalTopics: string[]): Case['run'] {
  const subscriptions = session(size);
  return (n) => {
    let routed = 0;
    for (let i = 0; i < n; i++) {
      const route = replayRoute(subscriptions, internalTopics[i % internalTopics.length]!);
      if (!route) continue;
      routed++;
      // A subscription replays at most MAX_PERMANENT_REPLAY values and then matches no more.
      route.subscription.replayed = 0;
    }
    return routed;
  };
}
