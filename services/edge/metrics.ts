// Prometheus metrics of the MQTT edge (prom-client's default registry, served on /metrics).
// Per-registry labels like Yandex's per-registry charts, capped: past MAX_REGISTRY_LABELS distinct
// registries in one process, the rest are counted under registry="other".
import { Counter, Gauge, Histogram } from 'prom-client';

const MAX_REGISTRY_LABELS = 200;

/** One set per process: edges started in the same process (tests) add to the same series. */
let shared: EdgeMetrics | undefined;

export class EdgeMetrics {
  readonly connections = new Gauge({ name: 'iotcore_connections', help: 'MQTT connections currently authenticated, by principal kind', labelNames: ['kind'] });
  readonly connacks = new Counter({ name: 'iotcore_connack_total', help: 'CONNACK packets sent, by return code (0 accepted, 3 unavailable, 4 bad credentials, 5 not authorized)', labelNames: ['code'] });
  readonly authSeconds = new Histogram({ name: 'iotcore_auth_duration_seconds', help: 'time to authenticate a CONNECT with the registry service', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  readonly received = new Counter({ name: 'iotcore_messages_received_total', help: 'PUBLISH packets accepted from clients, by QoS and registry', labelNames: ['qos', 'registry'] });
  readonly receivedBytes = new Counter({ name: 'iotcore_received_bytes_total', help: 'payload bytes accepted from clients, by registry', labelNames: ['registry'] });
  readonly delivered = new Counter({ name: 'iotcore_messages_delivered_total', help: 'messages sent to subscribers, by QoS and registry', labelNames: ['qos', 'registry'] });
  readonly dropped = new Counter({ name: 'iotcore_messages_dropped_total', help: 'messages not delivered, by reason (acl: publish refused, rate: over the publish rate)', labelNames: ['reason'] });
  readonly #registries = new Set<string>();

  static get(): EdgeMetrics {
    shared ??= new EdgeMetrics();
    return shared;
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
