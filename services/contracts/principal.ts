// Who an MQTT client is, as the registry authenticates it and the edge enforces it.
import type { LogPolicy, LogSubject } from './connection-logs.js';

export type OwnerKind = 'device' | 'registry' | 'broker';

export interface DeviceAlias {
  device_id: string;
  alias: string;
  topic_prefix: string;
}

/** An authenticated principal: everything the edge's topic policy needs (docs/yandex-behaviour.md). */
export interface Principal {
  kind: OwnerKind;
  id: string;
  /** Device: its registry; registry: itself; broker: empty. */
  registry_id: string;
  folder_id: string;
  /** Password id or certificate fingerprint the client proved. */
  credential_id: string;
  /** Device: its own aliases (alias → canonical prefix); empty otherwise. */
  topic_aliases: Record<string, string>;
  /** Registry: the aliases of all its devices; empty otherwise. */
  registry_aliases: DeviceAlias[];
  /**
   * The LogOptions of the log this principal's connection events go to (its registry's or its own), as they were at
   * CONNECT; absent from an older registry during a rolling upgrade (then everything is logged).
   */
  log_policy?: LogPolicy;
  /** When the connection must end (Unix ms): a live-view credential's expiry. Absent: it lasts until revoked. */
  expires_at_ms?: number;
}

export interface AuthRequest {
  username: string;
  password?: Buffer;
  certificate_fingerprint?: string;
}

export type AuthResult = 'OK' | 'BAD_USERNAME_OR_PASSWORD' | 'NOT_AUTHORIZED';

export type AuthOutcome =
  | { result: 'OK'; principal: Principal }
  /** `subject`: the entity the username named, when it exists (a wrong password goes to its log). */
  | { result: Exclude<AuthResult, 'OK'>; reason: string; subject?: LogSubject };
