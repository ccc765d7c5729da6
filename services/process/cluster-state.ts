// What the web console's cluster page shows (ConsoleService.GetCluster). Each edge of a cluster
// reports its connections, message counters and readiness to Redis every few seconds, next to the
// route table's leases (bus/routed-bus.ts); a registry replica reads the leases (who is alive) and
// the reports. The all-in-one process is its own only edge and reads its own metrics.
import type { Redis } from 'ioredis';
import { register } from 'prom-client';
import type { ClusterEdge, ClusterState } from '../registry/api/console-service.js';
import { readiness, type ReadinessCheck } from '../common/ops-http.js';

/** Same hash slot as the route table, so a Redis Cluster keeps them together. */
export const REPORTS_KEY = '{iotcore:routes}:reports';
export const REPORT_EVERY_MS = 2000;

export interface EdgeReport {
  connections: number;
  messages_received: number;
  messages_delivered: number;
  ready: boolean;
  /** Unix ms. */
  at: number;
}

/** This process's MQTT figures, from its own Prometheus metrics (edge/metrics.ts). */
export async function localReport(checks: ReadinessCheck[]): Promise<EdgeReport> {
  const [connections, received, delivered, ready] = await Promise.all([
    metricSum('iotcore_connections'),
    metricSum('iotcore_messages_received_total'),
    metricSum('iotcore_messages_delivered_total'),
    readiness(checks, false).then((result) => result.ready),
  ]);
  return { connections, messages_received: received, messages_delivered: delivered, ready, at: Date.now() };
}

async function metricSum(name: string): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  return (await metric.get()).values.reduce((sum, value) => sum + value.value, 0);
}

/** An edge's reporter: writes its report under its route-table ID every REPORT_EVERY_MS until stopped. */
export function reportEdge(redis: Redis, edgeId: string, report: () => Promise<EdgeReport>): () => void {
  const timer = setInterval(() => {
    report()
      .then((value) => redis.hset(REPORTS_KEY, edgeId, JSON.stringify(value)))
      .catch(() => undefined); // the next report tries again; the page shows the age of the last one
  }, REPORT_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    void redis.hdel(REPORTS_KEY, edgeId).catch(() => undefined);
  };
}

/** The cluster from the route table's leases (`ZRANGE … WITHSCORES`, flat) and the reports hash. */
export function clusterEdges(leases: string[], reports: Record<string, string>, now: number): ClusterEdge[] {
  const edges: ClusterEdge[] = [];
  for (let index = 0; index + 1 < leases.length; index += 2) {
    const id = leases[index]!;
    const leaseEnd = Number(leases[index + 1]);
    const report = parseReport(reports[id]);
    edges.push({
      id,
      alive: leaseEnd > now,
      lease_expires_at: new Date(leaseEnd),
      report: report && { ...report, at: new Date(report.at) },
    });
  }
  return edges.sort((a, b) => a.id.localeCompare(b.id));
}

function parseReport(text: string | undefined): EdgeReport | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<EdgeReport>;
    const numbers = [value.connections, value.messages_received, value.messages_delivered, value.at];
    return numbers.every((number) => typeof number === 'number') && typeof value.ready === 'boolean' ? (value as EdgeReport) : undefined;
  } catch {
    return undefined;
  }
}

/** A registry replica's view: every edge in the route table with its report, and this replica's readiness. */
export function redisClusterState(redis: Redis, edgesKey: string, checks: ReadinessCheck[]): () => Promise<ClusterState> {
  return async () => {
    const [leases, reports, own] = await Promise.all([
      redis.zrange(edgesKey, '0', '-1', 'WITHSCORES'),
      redis.hgetall(REPORTS_KEY),
      readiness(checks, false),
    ]);
    // Reports of edges that left the table are dropped here, so the hash does not grow with restarts.
    const gone = Object.keys(reports).filter((id) => !leases.includes(id));
    if (gone.length > 0) await redis.hdel(REPORTS_KEY, ...gone);
    return { role: 'registry', edges: clusterEdges(leases, reports, Date.now()), readiness: readinessList(own.checks) };
  };
}

/** The all-in-one process: itself as the only edge. */
export function localClusterState(checks: ReadinessCheck[]): () => Promise<ClusterState> {
  return async () => {
    const [report, own] = await Promise.all([localReport(checks), readiness(checks, false)]);
    const self: ClusterEdge = {
      id: 'this process',
      alive: true,
      lease_expires_at: new Date(report.at),
      report: { ...report, at: new Date(report.at) },
    };
    return { role: 'all', edges: [self], readiness: readinessList(own.checks) };
  };
}

function readinessList(checks: Record<string, boolean>): Array<{ name: string; ok: boolean }> {
  return Object.entries(checks).map(([name, ok]) => ({ name, ok }));
}
