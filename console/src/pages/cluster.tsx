// The cluster: edges alive (route-table leases), their connections and message rates (from their
// reports; rates are the counters' change between two polls), and this registry process's readiness.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorText, formatTime, Section } from '../components';

const POLL_MS = 2000;

interface Edge {
  id: string;
  alive?: boolean;
  leaseExpiresAt?: string;
  connections?: string;
  messagesReceived?: string;
  messagesDelivered?: string;
  reportedAt?: string;
  ready?: boolean;
}

interface Cluster {
  role?: string;
  edges?: Edge[];
  readiness?: Array<{ name: string; ok?: boolean }>;
  now?: string;
}

/** Messages a second between two reports of the same edge; undefined until there are two. */
export function rate(previous: Edge | undefined, current: Edge, field: 'messagesReceived' | 'messagesDelivered'): number | undefined {
  if (!previous?.reportedAt || !current.reportedAt) return undefined;
  const seconds = (Date.parse(current.reportedAt) - Date.parse(previous.reportedAt)) / 1000;
  if (seconds <= 0) return undefined;
  return Math.max(0, (Number(current[field] ?? 0) - Number(previous[field] ?? 0)) / seconds);
}

export function ClusterPage() {
  const [cluster, setCluster] = useState<Cluster>();
  const [rates, setRates] = useState<Record<string, { received?: number; delivered?: number }>>({});
  const [error, setError] = useState<Error>();
  const previous = useRef<Map<string, Edge>>(new Map());
  useEffect(() => {
    let stopped = false;
    const poll = () =>
      api<Cluster>('GET', '/iotcore-console/v1/cluster').then(
        (answer) => {
          if (stopped) return;
          const next: Record<string, { received?: number; delivered?: number }> = {};
          for (const edge of answer.edges ?? []) {
            const before = previous.current.get(edge.id);
            // Reports come every 2 s; keep the older one until a newer report arrives.
            if (before?.reportedAt !== edge.reportedAt) {
              next[edge.id] = { received: rate(before, edge, 'messagesReceived'), delivered: rate(before, edge, 'messagesDelivered') };
              previous.current.set(edge.id, edge);
            }
          }
          setRates((old) => ({ ...old, ...next }));
          setCluster(answer);
          setError(undefined);
        },
        (caught: Error) => !stopped && setError(caught),
      );
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const show = (value: number | undefined) => (value === undefined ? '…' : value.toFixed(1));
  return (
    <>
      <h1>Cluster</h1>
      <ErrorText error={error} />
      {cluster ? (
        <>
          <Section title={cluster.role === 'all' ? 'This process (all-in-one)' : 'Edges'}>
            <table>
              <thead>
                <tr>
                  <th>Edge</th>
                  <th>Alive</th>
                  <th>Ready</th>
                  <th>Connections</th>
                  <th>Received/s</th>
                  <th>Delivered/s</th>
                  <th>Last report</th>
                </tr>
              </thead>
              <tbody>
                {(cluster.edges ?? []).map((edge) => (
                  <tr key={edge.id}>
                    <td>
                      <code>{edge.id}</code>
                    </td>
                    <td class={edge.alive ? 'online' : 'offline'}>{edge.alive ? 'yes' : 'no'}</td>
                    <td class={edge.ready ? 'online' : 'offline'}>{edge.ready ? 'yes' : 'no'}</td>
                    <td>{Number(edge.connections ?? 0) < 0 ? '—' : (edge.connections ?? '0')}</td>
                    <td>{show(rates[edge.id]?.received)}</td>
                    <td>{show(rates[edge.id]?.delivered)}</td>
                    <td>{formatTime(edge.reportedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {(cluster.edges ?? []).length === 0 ? <p class="muted">No edge has a lease in the route table.</p> : null}
          </Section>
          <Section title="Readiness of this registry process">
            <ul class="list">
              {(cluster.readiness ?? []).map((check) => (
                <li key={check.name}>
                  <span class={check.ok ? 'online' : 'offline'}>{check.ok ? 'ok' : 'failing'}</span> {check.name}
                </li>
              ))}
            </ul>
            {(cluster.readiness ?? []).length === 0 ? <p class="muted">No dependencies to check (embedded store).</p> : null}
          </Section>
        </>
      ) : null}
    </>
  );
}
