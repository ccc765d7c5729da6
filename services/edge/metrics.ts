// Prometheus metrics of the MQTT edge (prom-client's default registry, served on /metrics).
// Per-registry labels like Yandex's per-registry charts, capped: past MAX_REGISTRY_LABELS distinct
// registries in one process, the rest are counted under registry="other".
import { Counter, Gauge, Histogram } from 'prom-client';

const MAX_REGISTRY_LABELS = 200;

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

/** The per-registry counts of one connection, by QoS 0 and 1 where there are two. */
export interface RegistryMeters {
  received: [Tally, Tally];
  receivedBytes: Tally;
  delivered: [Tally, Tally];
  deliveredBytes: Tally;
}

/** What an edge reports when scraped rather than counts as it goes. */
export interface EdgeStateSource {
  subscriptions(): number;
  revocationFeedLagSeconds?(): number;
  permanentTopics?(): Promise<number>;
}

const sources = new Set<EdgeStateSource>();

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
  readonly received: Counter<'qos' | 'registry'> = new Counter({
    name: 'iotcore_messages_received_total',
    help: 'PUBLISH packets accepted from clients, by QoS and registry',
    labelNames: ['qos', 'registry'],
    collect: (): void => this.#addByQos(this.received, (meters) => meters.received),
  });
  readonly receivedBytes: Counter<'registry'> = new Counter({
    name: 'iotcore_received_bytes_total',
    help: 'payload bytes accepted from clients, by registry',
    labelNames: ['registry'],
    collect: (): void => this.#add(this.receivedBytes, (meters) => meters.receivedBytes),
  });
  readonly delivered: Counter<'qos' | 'registry'> = new Counter({
    name: 'iotcore_messages_delivered_total',
    help: 'messages sent to subscribers, by QoS and registry',
    labelNames: ['qos', 'registry'],
    collect: (): void => this.#addByQos(this.delivered, (meters) => meters.delivered),
  });
  readonly deliveredBytes: Counter<'registry'> = new Counter({
    name: 'iotcore_delivered_bytes_total',
    help: 'payload bytes sent to subscribers, by registry',
    labelNames: ['registry'],
    collect: (): void => this.#add(this.deliveredBytes, (meters) => meters.deliveredBytes),
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
  readonly #registries = new Set<string>();
  readonly #meters = new Map<string, RegistryMeters>();

  static get(): EdgeMetrics {
    shared ??= new EdgeMetrics();
    return shared;
  }

  /** Adds an edge's scrape-time figures; returns the function that removes them. */
  addSource(source: EdgeStateSource): () => void {
    sources.add(source);
    return () => sources.delete(source);
  }

  /** Counts labelled with one registry (see `registry` for the label). */
  meters(registry: string): RegistryMeters {
    let meters = this.#meters.get(registry);
    if (!meters) {
      meters = {
        received: [new Tally(), new Tally()],
        receivedBytes: new Tally(),
        delivered: [new Tally(), new Tally()],
        deliveredBytes: new Tally(),
      };
      this.#meters.set(registry, meters);
    }
    return meters;
  }

  #add(counter: Counter<'registry'>, tally: (meters: RegistryMeters) => Tally): void {
    for (const [registry, meters] of this.#meters) counter.inc({ registry }, tally(meters).take());
  }

  #addByQos(counter: Counter<'qos' | 'registry'>, tallies: (meters: RegistryMeters) => [Tally, Tally]): void {
    for (const [registry, meters] of this.#meters) {
      const [qos0, qos1] = tallies(meters);
      counter.inc({ qos: '0', registry }, qos0.take());
      counter.inc({ qos: '1', registry }, qos1.take());
    }
  }

  /** The registry label value, keeping the number of distinct values bounded. */
  registry(id: string | undefined): string {
    if (!id) return 'none';
    if (this.#registries.has(id)) return id;
    if (this.#registries.size >= MAX_REGISTRY_LABELS) return 'other';
    this.#registries.add(id);
    return id;
  }
}
