// What an MQTT edge needs from the registry service. The registry answers it in-process in the
// all-in-one process (services/registry/edge-link.ts); a separate edge asks over iotcore.auth.v1
// (services/edge/registry-link/grpc-link.ts).
import type { ConnectionLogEntry } from './connection-logs.js';
import type { RegistryExport } from './data-stream-export.js';
import type { TriggerRule } from './trigger.js';
import type { AuthOutcome, AuthRequest, OwnerKind } from './principal.js';
import type { RevocationSource } from './revocations.js';

/** Monitoring timestamps of one device (Yandex's `DeviceView.FULL` and `$monitoring`). */
export interface DeviceActivityTimes {
  last_auth_ip?: string;
  last_auth_time?: Date;
  last_pub_activity_time?: Date;
  last_sub_activity_time?: Date;
  last_online_time?: Date;
  last_disconnect_time?: Date;
}

export interface DeviceActivity extends DeviceActivityTimes {
  device_id: string;
}

/** A live session as the registry should check it again: who, and with which credential. */
export interface SessionRef {
  kind: OwnerKind;
  id: string;
  credential_id: string;
}

export interface RegistryLink extends RevocationSource {
  /** Rejects (e.g. with an unavailable error) when the registry cannot answer. */
  authenticate(request: AuthRequest): Promise<AuthOutcome>;
  /**
   * The principal an entity acts as, for data-plane Publish calls; only the all-in-one process
   * (which serves those calls) has it.
   */
  describe?(kind: OwnerKind, id: string): Promise<AuthOutcome>;
  lookupDevice(deviceId: string): Promise<{ registry_id: string } | undefined>;
  /** Each session still allowed as authenticated (with its current principal), in order. */
  checkSessions(sessions: SessionRef[]): Promise<AuthOutcome[]>;
  /** Whether the registry service currently answers (a separate edge's readiness); absent in-process. */
  reachable?(): boolean;
  reportActivity(activities: DeviceActivity[]): Promise<void>;
  /** Stores connection-log entries the edge already filtered by their log's policy. */
  writeLogs(entries: ConnectionLogEntry[]): Promise<void>;
  /** The registry's data stream exports (none for an unknown registry). */
  registryExports(registryId: string): Promise<RegistryExport[]>;
  /** The triggers of a registry or broker (none for an unknown one). */
  sourceTriggers(kind: 'registry' | 'broker', id: string): Promise<TriggerRule[]>;
}
