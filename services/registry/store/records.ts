// Records kept by the registry store. Field names follow the Yandex protos (snake_case) so that
// the API layer maps them onto wire messages without renaming; secrets exist only as hashes.

import type { OwnerKind } from '../../contracts/principal.js';
import type { DeviceActivityTimes } from '../../contracts/registry-link.js';

export type { OwnerKind };

export type RegistryStatus = 'ACTIVE' | 'DISABLED';

/** Yandex `LogOptions`: where connection logs go; kept verbatim for API round trips. */
export interface LogOptionsRecord {
  disabled: boolean;
  destination?: { kind: 'log_group_id' | 'folder_id'; value: string };
  min_level: number;
}

export interface RegistryRecord {
  id: string;
  folder_id: string;
  created_at: Date;
  name: string;
  description: string;
  labels: Record<string, string>;
  status: RegistryStatus;
  log_options?: LogOptionsRecord;
}

/** What the edges report of a device's connections (stored for DeviceView.FULL). */
export type DeviceMonitoringRecord = DeviceActivityTimes;

export interface DeviceRecord {
  id: string;
  registry_id: string;
  created_at: Date;
  name: string;
  description: string;
  /** alias -> canonical topic prefix (already with `{id}` substituted). */
  topic_aliases: Record<string, string>;
  labels: Record<string, string>;
  monitoring: DeviceMonitoringRecord;
}

/** One topic alias of a device, as the registry-wide alias rules and ListDeviceTopicAliases see it. */
export interface AliasRecord {
  device_id: string;
  alias: string;
  topic_prefix: string;
}

export interface BrokerRecord {
  id: string;
  folder_id: string;
  created_at: Date;
  name: string;
  description: string;
  labels: Record<string, string>;
  log_options?: LogOptionsRecord;
}

export interface PasswordRecord {
  id: string;
  owner_kind: OwnerKind;
  owner_id: string;
  /** Self-describing slow hash (see credentials/passwords.ts); never the password. */
  hash: string;
  created_at: Date;
}

export interface CertificateRecord {
  /** Lower-case hex SHA-1 of the DER certificate; globally unique. */
  fingerprint: string;
  owner_kind: OwnerKind;
  owner_id: string;
  certificate_data: string;
  created_at: Date;
}

/**
 * Yandex `DataStreamExport`: a registry's messages written to a stream (on iotcore a Kafka topic,
 * see export/ in the edge). At most one per registry, as on Yandex.
 */
export interface DataStreamExportRecord {
  id: string;
  registry_id: string;
  created_at: Date;
  name: string;
  /** Empty: every exported topic of the registry. */
  mqtt_topic_filter: string;
  /** Yandex's Data Streams database; kept as given (the Kafka cluster of --kafka-brokers stands in for it). */
  database: string;
  /** The Kafka topic the records go to. */
  stream: string;
  /** Kept as given for round trips and imports; iotcore authenticates to Kafka with its own settings. */
  service_account_id: string;
}

/**
 * A trigger to HTTP (iotcore.triggers.v1): a registry's or broker's messages POSTed in batches.
 * The signing secret is kept as is: it must be usable to sign every request (like the bearer
 * token, it is never returned after Create and never logged).
 */
export interface TriggerRecord {
  id: string;
  /** The folder of its registry or broker. */
  folder_id: string;
  created_at: Date;
  name: string;
  description: string;
  source: { kind: 'registry' | 'broker'; id: string };
  /** Registry triggers: only this device's topics; empty = all. */
  device_id: string;
  /** `mqtt_topic` as given (an alias stays an alias here). */
  mqtt_topic: string;
  /** The canonical filter matched (alias resolved); empty = every topic. */
  filter: string;
  batch_size: number;
  batch_cutoff_ms: number;
  retry_attempts: number;
  retry_interval_ms: number;
  url: string;
  /** Empty: no Authorization header. */
  bearer_token: string;
  signing_secret: string;
  dead_letter?: { kind: 'mqtt_topic' | 'kafka_topic'; value: string };
}

/** A packed protobuf `Any`. */
export interface PackedAny {
  type_url: string;
  value: Uint8Array;
}

export interface OperationRecord {
  id: string;
  /** The registry/device/broker the operation acted on (for ListOperations). */
  resource_id: string;
  /** Set by a Delete: the folder the resource was in, which decides who sees the operation once it is gone. */
  folder_id?: string;
  description: string;
  created_at: Date;
  created_by: string;
  modified_at: Date;
  done: boolean;
  metadata?: PackedAny;
  response?: PackedAny;
  error?: { code: number; message: string };
}

/** A scoped API token (access/ and api/access-token-service.ts); the secret itself is never stored. */
export interface AccessTokenRecord {
  id: string;
  /** Lower-case hex SHA-256 of the whole secret (`iotc_…`); unique. */
  hash: string;
  description: string;
  grants: Array<{ folder_id: string; role: string }>;
  created_at: Date;
  expires_at?: Date;
  created_by: string;
}

/**
 * A service account (api/service-account-service.ts): a named holder of grants, as a scoped token
 * is, that authenticates with its authorized keys rather than a secret. Name unique per folder.
 */
export interface ServiceAccountRecord {
  id: string;
  folder_id: string;
  name: string;
  description: string;
  grants: Array<{ folder_id: string; role: string }>;
  created_at: Date;
  created_by: string;
}

/** An authorized key of a service account: only the public half is kept; the private half was shown once. */
export interface ServiceAccountKeyRecord {
  id: string;
  service_account_id: string;
  description: string;
  /** `RSA_2048`, as `yc iam key create` makes. */
  key_algorithm: string;
  /** SPKI PEM. */
  public_key: string;
  created_at: Date;
}

export interface Page<T> {
  items: T[];
  /** Empty when there is no further page. */
  next_page_token: string;
}

export interface PageRequest {
  page_size: number;
  page_token: string;
}
