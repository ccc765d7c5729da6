// Which of a session's subscriptions delivers a message, and the topic name it arrives under (the
// name the client subscribed with: alias, `$me` or canonical). Pure: no aedes, no sockets.
import { filterMatches } from './topic-syntax.js';
import { remember } from '../../common/bounded-memo.js';

export interface RoutedSubscription {
  /** The name a message arrives under; undefined: this subscription does not deliver it. */
  toClient: (internalTopic: string) => string | undefined;
  replayPermanent: boolean;
  /** Stored permanent-topic messages delivered for this subscription so far. */
  replayed: number;
  /** Granted QoS (never 2). */
  qos: number;
}

export interface Route {
  subscription: RoutedSubscription;
  clientTopic: string;
}

/** Yandex delivers stored values for at most 1000 permanent topics per subscription (docs/yandex-behaviour.md §3.4). */
export const MAX_PERMANENT_REPLAY = 1000;
/**
 * The first subscription matching a live message, remembered per topic in `routes` (at most
 * `maxRoutes`; subscribing or unsubscribing forgets them all).
 */
export function liveRoute(
  subscriptions: Map<string, RoutedSubscription>,
  routes: Map<string, Route | null>,
  internalTopic: string,
  maxRoutes: number,
): Route | null {
  return remember(routes, maxRoutes, internalTopic, (topic) => {
    for (const [filter, subscription] of subscriptions) {
      const clientTopic = filterMatches(filter, topic) ? subscription.toClient(topic) : undefined;
      if (clientTopic !== undefined) return { subscription, clientTopic };
    }
    return null;
  });
}

/** A stored permanent-topic value: only subscriptions that replay them, each up to its limit. */
export function replayRoute(subscriptions: Map<string, RoutedSubscription>, internalTopic: string): Route | null {
  for (const [filter, subscription] of subscriptions) {
    if (!filterMatches(filter, internalTopic) || !subscription.replayPermanent || subscription.replayed >= MAX_PERMANENT_REPLAY) continue;
    const clientTopic = subscription.toClient(internalTopic);
    if (clientTopic === undefined) continue;
    subscription.replayed++;
    return { subscription, clientTopic };
  }
  return null;
}
