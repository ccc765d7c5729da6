// What every hook of the edge shares: the broker, the registry link, the session table and the
// per-process state (limits, brakes, caches, metrics). Built once in edge.ts.
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../common/logging.js';
import type { Principal } from '../contracts/principal.js';
import type { RegistryLink } from '../contracts/registry-link.js';
import type { ConnectionInfo } from './transport/listeners.js';
import type { AuthThrottle } from './limits/auth-throttle.js';
import type { PrincipalLimits } from './limits/principal-limits.js';
import type { DeviceMonitor } from './monitoring.js';
import type { DeviceOwnerCache } from './registry-link/device-owner-cache.js';
import type { EdgeMetrics, MeterOwner } from './metrics.js';
import type { Session, SessionTable } from './session.js';
import type { SessionLedger } from './persistence/session-ledger.js';
import type { ConnectionLog } from './connection-log.js';
import type { MessageExports } from './export/message-exports.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';

export interface EdgeContext {
  broker: Aedes;
  link: RegistryLink;
  logger: Logger;
  metrics: EdgeMetrics;
  /** QoS 1 in flight: received before PUBACK (in), sent before the subscriber's PUBACK (out). */
  inflight: EdgeMetrics['inflightLevels'];
  sessions: SessionTable;
  /** The connection each socket came in on (TLS fingerprint, address). */
  connections: WeakMap<Duplex, ConnectionInfo>;
  throttle: AuthThrottle;
  limits: PrincipalLimits;
  monitor: DeviceMonitor;
  /** Per-registry and per-broker connection logs (LogOptions applied here). */
  connectionLog: ConnectionLog;
  deviceOwners: DeviceOwnerCache;
  /** The data stream exports, when this edge writes to Kafka. */
  exports: MessageExports | undefined;
  /** Shared-subscription groups; absent on a bus that cannot give a message to one member cluster-wide. */
  shared: SharedSubscriptions | undefined;
  /** Subscriptions one connection may hold; 0 = unlimited. */
  maxSubscriptions: number;
  /** The largest payload a PUBLISH may carry; a larger one closes the connection. */
  maxMessageBytes: number;
  /** When persistent sessions went offline (for their expiry); absent when sessions never expire. */
  ledger: SessionLedger | undefined;
  /** Whether the MQTT state store can serve a CONNECT now (aedes reads and writes the session before CONNACK). */
  persistenceWritable(): boolean;
  /** A connection being taken over by a new CONNECT on this edge (lifecycle.ts: markTakenOver). */
  takenOver(previous: Client): void;
}

/** Records a device's publish or subscribe time for `$monitoring` and DeviceView.FULL. */
export function recordActivity(ctx: EdgeContext, session: Session, field: 'last_pub_activity_time' | 'last_sub_activity_time'): void {
  if (session.principal.kind === 'device') ctx.monitor.touch(session.principal.id, session.principal.registry_id, field);
}

/** What a principal's traffic is counted under: its broker, or its registry (a device's too). */
export function meterOwnerOf(principal: Principal): MeterOwner {
  return principal.kind === 'broker' ? { kind: 'broker', id: principal.id } : { kind: 'registry', id: principal.registry_id };
}
