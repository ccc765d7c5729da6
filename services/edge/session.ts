// What the edge knows of one authenticated MQTT connection: who it is (the principal and the topic
// policy built from it at CONNECT), its subscriptions in the internal namespace with how to name
// deliveries for the client, and its per-connection counters.
import type { Client } from 'aedes';
import type { Message } from 'mqemitter';
import type { Principal } from '../contracts/principal.js';
import type { TopicPolicy } from './topics/acl.js';
import type { ConnectionInfo } from './transport/listeners.js';
import { RecentDeliveries } from './bus/recent-deliveries.js';
import type { ResourceMeters } from './metrics.js';
import type { Route, RoutedSubscription } from './topics/routes.js';

export type CloseReason =
  | 'takeover'
  | 'revoked'
  | 'publish_denied'
  | 'keepalive_timeout'
  | 'slow_consumer'
  | 'protocol_error'
  | 'connection_lost'
  | 'drain'
  | 'shutdown';

export interface Session {
  /** This connection's number on this edge, from 1: tells a client's connections apart in the session ledger. */
  serial: number;
  client: Client;
  principal: Principal;
  policy: TopicPolicy;
  info: ConnectionInfo;
  /** internal filter → how to deliver under the name the client subscribed with */
  subscriptions: Map<string, RoutedSubscription>;
  /** client filter → internal filter, to translate UNSUBSCRIBE */
  clientFilters: Map<string, string>;
  deliveries: RecentDeliveries;
  /** Why the connection is being closed, when the edge closes it (metrics and the log line). */
  closeReason?: CloseReason;
  /** QoS 1 messages sent to this connection and not yet acknowledged. */
  unacknowledged: number;
  /** Of those, the ones delivered for a shared subscription, by packet identifier (shared-subscriptions.ts). */
  sharedUnacknowledged: Map<number, { key: string; message: Message }>;
  /** Internal topic → the subscription that delivers it and the name it arrives under (null: none). */
  routes: Map<string, Route | null>;
  meters: ResourceMeters;
  /** A per-client limit was reached and logged (once per connection). */
  limitLogged?: boolean;
}

let connections = 0;

export function newSession(
  client: Client,
  principal: Principal,
  policy: TopicPolicy,
  info: ConnectionInfo,
  meters: ResourceMeters,
): Session {
  return {
    serial: ++connections,
    client,
    principal,
    policy,
    info,
    meters,
    subscriptions: new Map(),
    clientFilters: new Map(),
    deliveries: new RecentDeliveries(),
    unacknowledged: 0,
    sharedUnacknowledged: new Map(),
    routes: new Map(),
  };
}

/** The client ID as the client sent it (the edge scopes aedes' by principal). */
export function clientIdOf(session: Pick<Session, 'client' | 'principal'>): string {
  return session.client.id.slice(session.principal.id.length + 1);
}

/** The sessions of one edge, by aedes client and by connection (the listeners know only the latter). */
export class SessionTable {
  readonly #byClient = new WeakMap<Client, Session>();
  readonly #byConnection = new WeakMap<ConnectionInfo, Session>();

  add(session: Session): void {
    this.#byClient.set(session.client, session);
    this.#byConnection.set(session.info, session);
  }

  of(client: Client): Session | undefined {
    return this.#byClient.get(client);
  }

  ofConnection(info: ConnectionInfo): Session | undefined {
    return this.#byConnection.get(info);
  }
}
