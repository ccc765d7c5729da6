// Prometheus metrics of the MQTT edge (prom-client's default registry, served on /metrics).
// Per-registry and per-broker labels like Yandex's charts, capped: past MAX_RESOURCE_LABELS distinct
// registries and brokers in one process, the rest are counted under registry="other" or broker="other".
import { Counter, Gauge, Histogram } from 'prom-client';

const MAX_RESOURCE_LABELS = 200;
const OTHER = 'other';

/** One set per process: edges started in the same process (tests) add to the same series. */
let shared: EdgeMetrics | undefined;

/**
 * A count on the per-message path, kept as a plain number and added to its prom-client counter when
 * scraped: prom-client hashes the labels on every `inc()`, even of a child from `labels()` (6% of an
 * edge's CPU at 60,000 deliveries a second).
 */
export class Tally {
  #pending = 0;

  inc(amount = 1): void {
    this.#pending += amount;
  }

  /** What was counted since the last call. */
  take(): number {
    const pending = this.#pending;
    this.#pending = 0;
    return pending;
  }
}

/** A level on the per-message path (inc and dec), read by its gauge when scraped, for the same reason. */
export class Level {
  value = 0;

  inc(): void {
    this.value++;
  }

  dec(amount = 1): void {
    this.value -= amount;
  }
}

/** What a connection's traffic is counted under: a registry (its own and its devices') or a broker. */
export interface MeterOwner {
  kind: 'registry' | 'broker';
  id: string;
}

/** The counts of one registry or broker, by QoS 0 and 1 where there are two. */
export interface ResourceMeters {
  /** One of the two is empty: Prometheus treats an empty label as absent. */
  labels: { registry: string; broker: string };
  received: [Tally, Tally];
  receivedBytes: Tally;
  delivered: [Tally, Tally];
  deliveredBytes: Tally;
  /** Yandex's billing messages (billing.ts). */
  billing: Tally;
  connections: Level;
}

/** What an edge reports when scraped rather than counts as it goes. */
export interface EdgeStateSource {
  subscriptions(): number;
  revocationFeedLagSeconds?(): number;
  permanentTopics?(): Promise<number>;
}

const sources = new Set<EdgeStateSource>();

type ResourceLabel = 'registry' | 'broker';

export class EdgeMetrics {
  readonly connections = new Gauge({
    name: 'iotcore_connections',
    help: 'MQTT connections currently authenticated, by principal kind',
    labelNames: ['kind'],
  });
  readonly opened = new Counter({ name: 'iotcore_connections_opened_total', help: 'MQTT connections authenticated (CONNACK 0)' });
  readonly closed = new Counter({
    name: 'iotcore_connections_closed_total',
    help: 'authenticated MQTT connections closed, by reason (client_disconnect, connection_lost, keepalive_timeout, takeover, revoked, publish_denied, slow_consumer, protocol_error, drain, shutdown)',
    labelNames: ['reason'],
  });
  readonly connacks = new Counter({
    name: 'iotcore_connack_total',
    help: 'CONNACK packets sent, by return code (0 accepted, 2 identifier rejected, 3 unavailable, 4 bad credentials, 5 not authorized)',
    labelNames: ['code'],
  });
  readonly authThrottled = new Counter({
    name: 'iotcore_auth_throttled_total',
    help: 'CONNECTs refused by the brute-force brake without checking credentials, by what was backing off (address, address_username)',
    labelNames: ['scope'],
  });
  readonly guessedUsernames = new Counter({
    name: 'iotcore_auth_guessed_usernames_total',
    help: 'usernames that reached 21 failed CONNECTs within 15 minutes, from any address (cluster-wide with Redis): a credential being guessed',
  });
  readonly authSeconds = new Histogram({
    name: 'iotcore_auth_duration_seconds',
    help: 'time to authenticate a CONNECT with the registry service',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly received: Counter<'qos' | ResourceLabel> = new Counter({
    name: 'iotcore_messages_received_total',
    help: 'PUBLISH packets accepted from clients, by QoS and registry or broker',
    labelNames: ['qos', 'registry', 'broker'],
    collect: (): void => this.#addByQos(this.received, (meters) => meters.received),
  });
  readonly receivedBytes: Counter<ResourceLabel> = new Counter({
    name: 'iotcore_received_bytes_total',
    help: 'payload bytes accepted from clients, by registry or broker',
    labelNames: ['registry', 'broker'],
    collect: (): void => this.#add(this.receivedBytes, (meters) => meters.receivedBytes),
  });
  readonly delivered: Counter<'qos' | ResourceLabel> = new Counter({
    name: 'iotcore_messages_delivered_total',
    help: 'messages sent to subscribers, by QoS and registry or broker',
    labelNames: ['qos', 'registry', 'broker'],
    collect: (): void => this.#addByQos(this.delivered, (meters) => meters.delivered),
  });
  readonly deliveredBytes: Counter<ResourceLabel> = new Counter({
    name: 'iotcore_delivered_bytes_total',
    help: 'payload bytes sent to subscribers, by registry or broker',
    labelNames: ['registry', 'broker'],
    collect: (): void => this.#add(this.deliveredBytes, (meters) => meters.deliveredBytes),
  });
  readonly billing: Counter<ResourceLabel> = new Counter({
    name: 'iotcore_billing_messages_total',
    help: "Yandex's billing messages, by registry or broker: CONNECT, PUBLISH in and out, SUBSCRIBE and PINGREQ, one per started KiB of the packet",
    labelNames: ['registry', 'broker'],
    collect: (): void => this.#add(this.billing, (meters) => meters.billing),
  });
  readonly resourceConnections: Gauge<ResourceLabel> = new Gauge({
    name: 'iotcore_resource_connections',
    help: 'MQTT connections currently authenticated, by the registry (its own and its devices) or broker they belong to',
    labelNames: ['registry', 'broker'],
    collect: (): void => {
      for (const meters of this.#meters.values()) this.resourceConnections.set(meters.labels, meters.connections.value);
    },
  });
  readonly dropped = new Counter({
    name: 'iotcore_messages_dropped_total',
    help: 'messages not delivered, by reason (acl: publish refused; size: packet over the size limit; rate: over the publish rate; slow_consumer: QoS 0 dropped from a full bus backlog, or for a subscriber over 1 MiB behind; stale: QoS 0 older than --max-backlog-age-ms in the backlog; queue_full: not queued for a persistent session at its queue limit)',
    labelNames: ['reason'],
  });
  /** QoS 1 in flight: received before PUBACK (in), sent before the subscriber's PUBACK (out). */
  readonly inflightLevels = { in: new Level(), out: new Level() };
  readonly inflight = new Gauge({
    name: 'iotcore_inflight_messages',
    help: 'QoS 1 messages in flight: in = received, being stored and forwarded before PUBACK; out = sent to subscribers, awaiting their PUBACK',
    labelNames: ['direction'],
    collect: (): void => {
      this.inflight.set({ direction: 'in' }, this.inflightLevels.in.value);
      this.inflight.set({ direction: 'out' }, this.inflightLevels.out.value);
    },
  });
  readonly subscriptions = new Gauge({
    name: 'iotcore_subscriptions',
    help: 'subscriptions of the connected MQTT clients',
    collect() {
      this.set([...sources].reduce((sum, source) => sum + source.subscriptions(), 0));
    },
  });
  readonly permanentTopics = new Gauge({
    name: 'iotcore_permanent_topics',
    help: 'permanent-topic (state/config) values stored',
    async collect() {
      const counts = await Promise.all([...sources].map((source) => source.permanentTopics?.() ?? 0));
      this.set(counts.reduce((sum, count) => sum + count, 0));
    },
  });
  readonly limitHits = new Counter({
    name: 'iotcore_limit_hits_total',
    help: 'per-client limits reached, by limit (subscriptions: a filter refused past --max-subscriptions; queue: a message not queued for a full persistent session)',
    labelNames: ['limit'],
  });
  readonly sessionsExpired = new Counter({
    name: 'iotcore_sessions_expired_total',
    help: 'persistent sessions removed after staying offline past --session-expiry-seconds',
  });
  readonly logEventsWritten = new Counter({
    name: 'iotcore_log_events_written_total',
    help: 'connection-log entries (per-registry and per-broker logs) stored by the registry service',
  });
  readonly logEventsDropped = new Counter({
    name: 'iotcore_log_events_dropped_total',
    help: 'connection-log entries lost, by reason: buffer_full (the store is slower than the events; the MQTT path never waits for it), store_error (a batch the store refused)',
    labelNames: ['reason'],
  });
  readonly revocationRechecks = new Counter({
    name: 'iotcore_revocation_rechecks_total',
    help: 'times the revocation feed had a gap (trimmed or reset while away) and every live session was checked again with the registry',
  });
  readonly revocationFeedLag = new Gauge({
    name: 'iotcore_revocation_feed_lag_seconds',
    help: 'seconds since the revocation feed was last followed live (0 while it is)',
    collect() {
      this.set(Math.max(0, ...[...sources].map((source) => source.revocationFeedLagSeconds?.() ?? 0)));
    },
  });
  readonly #meters = new Map<string, ResourceMeters>();

  static get(): EdgeMetrics {
    shared ??= new EdgeMetrics();
    return shared;
  }

  /** Adds an edge's scrape-time figures; returns the function that removes them. */
  addSource(source: EdgeStateSource): () => void {
    sources.add(source);
    return () => sources.delete(source);
  }

  /** The counts of one registry or broker; past the label cap, those of "other". */
  meters(owner: MeterOwner): ResourceMeters {
    const key = `${owner.kind}:${owner.id}`;
    const meters = this.#meters.get(key);
    if (meters) return meters;
    if (this.#meters.size >= MAX_RESOURCE_LABELS && owner.id !== OTHER) return this.meters({ kind: owner.kind, id: OTHER });
    const created: ResourceMeters = {
      labels: { registry: '', broker: '', [owner.kind]: owner.id },
      received: [new Tally(), new Tally()],
      receivedBytes: new Tally(),
      delivered: [new Tally(), new Tally()],
      deliveredBytes: new Tally(),
      billing: new Tally(),
      connections: new Level(),
    };
    this.#meters.set(key, created);
    return created;
  }

  #add(counter: Counter<ResourceLabel>, tally: (meters: ResourceMeters) => Tally): void {
    for (const meters of this.#meters.values()) counter.inc(meters.labels, tally(meters).take());
  }

  #addByQos(counter: Counter<'qos' | ResourceLabel>, tallies: (meters: ResourceMeters) => [Tally, Tally]): void {
    for (const meters of this.#meters.values()) {
      const [qos0, qos1] = tallies(meters);
      counter.inc({ qos: '0', ...meters.labels }, qos0.take());
      counter.inc({ qos: '1', ...meters.labels }, qos1.take());
    }
  }
}
