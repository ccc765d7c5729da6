// What the edge needs from the registry service. In the all-in-one process it is answered
// in-process; a separate edge (--role edge) asks over iotcore.auth.v1.
import type { DeviceMonitoringRecord, OwnerKind } from '../../registry/store/records.js';
import type { AuthOutcome, AuthRequest } from '../../registry/auth/authenticator.js';
import type { Revocation, RevocationSource } from '../../contracts/revocations.js';

export type { AuthOutcome, AuthRequest, Revocation };

/** A live session as the registry should check it again: who, and with which credential. */
export interface SessionRef {
  kind: OwnerKind;
  id: string;
  credential_id: string;
}

export interface DeviceActivity extends DeviceMonitoringRecord {
  device_id: string;
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
}
