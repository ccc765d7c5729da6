// Where connection-log entries are kept (LevelDB in the all-in-one process, MongoDB in a cluster) and how they are
// read back: by registry, device or broker, in time order, filtered by level, event and device.
import type { ConnectionLogEntry } from '../../contracts/connection-logs.js';

export type LogSource = { registry_id: string } | { device_id: string } | { broker_id: string };

/** Where a page ends: entries are ordered by timestamp, then uid. */
export interface LogPosition {
  timestamp: Date;
  uid: string;
}

export interface LogQuery {
  source: LogSource;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** Any when empty. */
  levels: number[];
  events: string[];
  device_ids: string[];
  /** Read strictly after this entry (the previous page's last). */
  after?: LogPosition;
  limit: number;
}

/** How much the store keeps: entries older than maxAgeMs and the oldest past maxEntries are removed. */
export interface LogRetention {
  maxAgeMs: number;
  maxEntries: number;
}

export interface ConnectionLogStore {
  /** Idempotent per uid: an edge may send a batch again after a timeout. */
  append(entries: ConnectionLogEntry[]): Promise<void>;
  /** Up to `limit` entries matching the query, oldest first. */
  read(query: LogQuery): Promise<ConnectionLogEntry[]>;
  /** Enforces the retention; returns how many entries were removed. */
  prune(retention: LogRetention, now: Date): Promise<number>;
  close(): Promise<void>;
}

/**
 * Whether an entry passes the query's filters other than source and time (which the stores' keys
 * serve). A registry's log is what the registry did with its own credentials (Yandex: "Operations of
 * devices that belong to this registry are not included in this log"); `device_ids` reads the
 * entries of those of its devices instead ('' being the registry's own).
 */
export function matchesFilters(entry: ConnectionLogEntry, query: LogQuery): boolean {
  return (
    (query.levels.length === 0 || query.levels.includes(entry.level)) &&
    (query.events.length === 0 || query.events.includes(entry.event)) &&
    (query.device_ids.length > 0 ? query.device_ids.includes(entry.device_id) : !('registry_id' in query.source) || entry.device_id === '')
  );
}

export function isAfter(entry: LogPosition, position: LogPosition | undefined): boolean {
  if (!position) return true;
  const delta = entry.timestamp.getTime() - position.timestamp.getTime();
  return delta > 0 || (delta === 0 && entry.uid > position.uid);
}

/** Runs `prune` every `intervalMs` (and once now); failures are reported, never thrown. */
export function keepPruned(
  store: ConnectionLogStore,
  retention: LogRetention,
  intervalMs: number,
  onError: (error: unknown) => void,
): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    store
      .prune(retention, new Date())
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
