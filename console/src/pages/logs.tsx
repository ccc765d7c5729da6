// Connection logs of a registry, device or broker (iotcore.logs.v1 over REST), with filters and
// follow: like `iotcore … logs --follow`, it reads again from a little before the newest entry
// shown (edges' batches land out of order) and skips the entries it already has.
import { useEffect, useState } from 'preact/hooks';
import { api, type Json } from '../api';
import { ErrorText } from '../components';

const LEVELS: Record<number, string> = { 1: 'TRACE', 2: 'DEBUG', 3: 'INFO', 4: 'WARN', 5: 'ERROR', 6: 'FATAL' };
const EVENTS = ['connected', 'disconnected', 'auth_failed', 'publish_denied', 'subscribe_denied', 'revoked', 'oversize'];
const PERIODS: Array<[label: string, ms: number]> = [
  ['15 minutes', 15 * 60_000],
  ['1 hour', 3_600_000],
  ['6 hours', 6 * 3_600_000],
  ['24 hours', 24 * 3_600_000],
  ['3 days', 72 * 3_600_000],
];
const FOLLOW_EVERY_MS = 1000;
const FOLLOW_OVERLAP_MS = 5000;

interface Entry {
  uid: string;
  timestamp: string;
  level: number;
  event: string;
  message: string;
  deviceId?: string;
  payload?: Record<string, string>;
}

export type LogSource = { registryId: string } | { deviceId: string } | { brokerId: string };

export function Logs({ source }: { source: LogSource }) {
  const [period, setPeriod] = useState(PERIODS[1]![1]);
  const [minLevel, setMinLevel] = useState(0);
  const [event, setEvent] = useState('');
  const [follow, setFollow] = useState(false);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState<Error>();
  const key = JSON.stringify(source);

  useEffect(() => {
    let stopped = false;
    let shown = new Map<string, Entry>();
    const read = async (since: Date) => {
      const body: Json = { ...source, since: since.toISOString(), pageSize: 1000 };
      if (minLevel)
        body.levels = Object.keys(LEVELS)
          .map(Number)
          .filter((level) => level >= minLevel);
      if (event) body.events = [event];
      const answer = await api<{ entries?: Entry[] }>('POST', '/iotcore-logs/v1/read', body);
      if (stopped) return;
      for (const entry of answer.entries ?? []) shown.set(entry.uid, entry);
      setEntries([...shown.values()].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.uid.localeCompare(a.uid)));
      setError(undefined);
    };
    shown = new Map();
    setEntries([]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const newest = [...shown.values()].reduce((max, entry) => Math.max(max, Date.parse(entry.timestamp)), 0);
      const since = newest ? new Date(newest - FOLLOW_OVERLAP_MS) : new Date(Date.now() - period);
      read(since)
        .catch((caught: Error) => !stopped && setError(caught))
        .finally(() => {
          if (follow && !stopped) timer = setTimeout(tick, FOLLOW_EVERY_MS);
        });
    };
    read(new Date(Date.now() - period))
      .catch((caught: Error) => !stopped && setError(caught))
      .finally(() => {
        if (follow && !stopped) timer = setTimeout(tick, FOLLOW_EVERY_MS);
      });
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, period, minLevel, event, follow]);

  return (
    <div>
      <fieldset class="inline plain">
        <legend class="sr-only">Log filters</legend>
        <label>
          Since{' '}
          <select value={period} onChange={(e) => setPeriod(Number(e.currentTarget.value))}>
            {PERIODS.map(([label, ms]) => (
              <option key={ms} value={ms}>
                {label} ago
              </option>
            ))}
          </select>
        </label>
        <label>
          Level{' '}
          <select value={minLevel} onChange={(e) => setMinLevel(Number(e.currentTarget.value))}>
            <option value={0}>any</option>
            <option value={4}>WARN and above</option>
            <option value={5}>ERROR and above</option>
          </select>
        </label>
        <label>
          Event{' '}
          <select value={event} onChange={(e) => setEvent(e.currentTarget.value)}>
            <option value="">any</option>
            {EVENTS.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
        </label>
      </fieldset>
      <ErrorText error={error} />
      <table class="logs">
        <thead>
          <tr>
            <th>Time</th>
            <th>Level</th>
            <th>Device</th>
            <th>Event</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.uid} class={`level-${LEVELS[entry.level] ?? entry.level}`}>
              <td>{new Date(entry.timestamp).toLocaleString()}</td>
              <td>{LEVELS[entry.level] ?? entry.level}</td>
              <td>
                <code>{entry.deviceId ?? ''}</code>
              </td>
              <td>{entry.event}</td>
              <td>
                {entry.message}
                {entry.payload?.address ? <span class="muted"> · {entry.payload.address}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 && !error ? <p class="muted">No entries in this period.</p> : null}
    </div>
  );
}
