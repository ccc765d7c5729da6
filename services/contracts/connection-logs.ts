// Connection logs (docs/yandex-behaviour.md §7.1): what the edges record of each connection, per registry and per
// broker, as Yandex shipped it to Cloud Logging according to the registry's or broker's LogOptions.
import type { OwnerKind } from './principal.js';

/** yandex.cloud.logging.v1.LogLevel.Level. */
export const LOG_LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

export const LOG_LEVEL_NAMES: Record<number, LogLevelName> = Object.fromEntries(
  Object.entries(LOG_LEVELS).map(([name, level]) => [level, name as LogLevelName]),
);

/** What a registry's or broker's LogOptions say about keeping an entry (the destination is not ours to follow). */
export interface LogPolicy {
  disabled: boolean;
  /** LogLevel.Level; 0 (unspecified) keeps every level. */
  min_level: number;
}

/** A fresh registry or broker logs everything (Yandex: `log_options: {folder_id: <own folder>}`). */
export const DEFAULT_LOG_POLICY: LogPolicy = { disabled: false, min_level: 0 };

export const CONNECTION_EVENTS = [
  'connected',
  'auth_failed',
  'publish_denied',
  'subscribe_denied',
  'revoked',
  'oversize',
  'disconnected',
] as const;
export type ConnectionEvent = (typeof CONNECTION_EVENTS)[number];

/** Whose log an event goes to: a device (its registry's log), a registry or a broker, with that log's policy. */
export interface LogSubject {
  kind: OwnerKind;
  id: string;
  /** Device: its registry; registry: itself; broker: empty. */
  registry_id: string;
  log_policy: LogPolicy;
}

export interface ConnectionLogEntry {
  /** Unique; orders entries with the same timestamp. */
  uid: string;
  timestamp: Date;
  level: number;
  event: ConnectionEvent | string;
  message: string;
  /** The registry (for a device or registry) or the broker whose log this is; the other is empty. */
  registry_id: string;
  broker_id: string;
  /** Empty when the registry or broker acted with its own credentials. */
  device_id: string;
  /** client_id, address, cert, topic, filter, reason… never secrets. */
  payload: Record<string, string>;
}

export function keeps(policy: LogPolicy, level: number): boolean {
  return !policy.disabled && level >= policy.min_level;
}

/** Where an entry of `subject` is filed. */
export function sourceOf(subject: Pick<LogSubject, 'kind' | 'id' | 'registry_id'>) {
  return {
    registry_id: subject.kind === 'broker' ? '' : subject.registry_id,
    broker_id: subject.kind === 'broker' ? subject.id : '',
    device_id: subject.kind === 'device' ? subject.id : '',
  };
}
