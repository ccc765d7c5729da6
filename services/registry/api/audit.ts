// The management API's audit trail: one event per change attempted, made or refused, shaped as
// Yandex's Audit Trails events of IoT Core (docs/yandex-behaviour.md §7.3) and written where
// --audit-log says (auditLog below). Operations record what was
// done; the trail also keeps who was refused, from where, and what was deleted (a deleted
// resource's operations cannot be listed any more).
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { fromBinary, toJson, type JsonObject, type JsonValue, type Registry } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';
import { createLogger } from '../../common/logging.js';
import { RegistryService } from '../../generated/yandex/cloud/iot/devices/v1/registry_service_pb.js';
import { DeviceService } from '../../generated/yandex/cloud/iot/devices/v1/device_service_pb.js';
import { BrokerService } from '../../generated/yandex/cloud/iot/broker/v1/broker_service_pb.js';
import { anyTypes } from './any-types.js';

export interface AuditEvent {
  event_id: string;
  /** `iot` for Yandex's IoT Core services, `iotcore` for iotcore's own (tokens, service accounts, triggers, import). */
  event_source: 'iot' | 'iotcore';
  event_type: string;
  event_time: string;
  authentication: { authenticated: boolean; subject_id: string };
  authorization: { authorized: boolean };
  /** `request_id`: the client's `x-request-id`, as Yandex's Go SDK sends one with every call. */
  request_metadata: { remote_address: string; user_agent: string; request_id?: string };
  event_status: 'DONE' | 'ERROR';
  error?: { code: number; message: string };
  /** Identifiers only: of the request, of the operation and what it changed, of what was created. */
  details: JsonObject;
}

export type AuditSink = (event: AuditEvent) => void;

/** Methods whose name says they change something; reads, data-plane publishes and the edges' own calls are not audited. */
const CHANGING = /^(Create|Update|Delete|Add|Enable|Disable|Revoke|Import|Issue)/;
/** Yandex's event names put the entity after the verb: DeviceService.AddPassword is devices.AddDevicePassword. */
const YANDEX_SERVICES: Record<string, { source: 'devices' | 'broker'; entity: string }> = {
  RegistryService: { source: 'devices', entity: 'Registry' },
  DeviceService: { source: 'devices', entity: 'Device' },
  BrokerService: { source: 'broker', entity: 'Broker' },
};
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/** The event type of a management method (`Service.Method`), or undefined when it is not audited. */
export function auditEventType(method: string): string | undefined {
  const [service = '', name = ''] = method.split('.');
  if (!CHANGING.test(name) || service === 'EdgeAuthService') return undefined;
  const yandex = YANDEX_SERVICES[service];
  if (!yandex) return `iotcore.audit.${service}.${name}`;
  const parts = /^(Create|Update|Delete|Add|Enable|Disable)(.*)$/.exec(name);
  return `yandex.cloud.audit.iot.${yandex.source}.${parts ? `${parts[1]}${yandex.entity}${parts[2]}` : name}`;
}

/** Request fields that name what a call is about; nothing else of a request (passwords, keys, labels) is kept. */
const REQUEST_FIELDS = [
  'folder_id',
  'registry_id',
  'device_id',
  'broker_id',
  'name',
  'fingerprint',
  'password_id',
  'data_stream_export_id',
  'token_id',
  'service_account_id',
  'key_id',
  'trigger_id',
];

export interface AuditedCall {
  type: string;
  /** The caller's name (bootstrap-admin, token:<id>, service-account:<id>), when its credential was accepted. */
  caller?: string;
  peer: string;
  metadata: Metadata;
  request: unknown;
  outcome: { response: unknown } | { error: { code: number; message: string } };
  now: Date;
}

export function auditEvent(call: AuditedCall, types: Registry = operationTypes()): AuditEvent {
  const failed = 'error' in call.outcome ? call.outcome.error : undefined;
  const header = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' ? value.slice(0, 200) : undefined;
  };
  const requestId = header('x-request-id');
  return {
    event_id: randomUUID(),
    event_source: call.type.startsWith('yandex.') ? 'iot' : 'iotcore',
    event_type: call.type,
    event_time: call.now.toISOString(),
    authentication: { authenticated: call.caller !== undefined && failed?.code !== UNAUTHENTICATED, subject_id: call.caller ?? '' },
    authorization: { authorized: !failed || (failed.code !== PERMISSION_DENIED && failed.code !== UNAUTHENTICATED) },
    request_metadata: { remote_address: call.peer, user_agent: header('user-agent') ?? '', ...(requestId && { request_id: requestId }) },
    event_status: failed ? 'ERROR' : 'DONE',
    ...(failed && { error: failed }),
    details: { ...requestDetails(call.request), ...('response' in call.outcome ? responseDetails(call.outcome.response, types) : {}) },
  };
}

function requestDetails(request: unknown): JsonObject {
  const details: JsonObject = {};
  if (!request || typeof request !== 'object') return details;
  const fields = request as Record<string, unknown>;
  for (const field of REQUEST_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' && value !== '') details[field] = value.slice(0, 200);
  }
  const mask = fields.update_mask as { paths?: unknown } | undefined;
  if (Array.isArray(mask?.paths)) details.update_mask = mask.paths.filter((path) => typeof path === 'string').join(',');
  return details;
}

/**
 * An Operation gives its ID and its metadata (Yandex's metadata messages hold the IDs of what
 * changed: CreateDeviceMetadata.device_id …); another answer gives the IDs of what it created
 * (`access_token.id` as access_token_id), never its other fields (a token's secret, a key).
 */
function responseDetails(response: unknown, types: Registry): JsonObject {
  if (!response || typeof response !== 'object') return {};
  const fields = response as Record<string, unknown>;
  if (typeof fields.done === 'boolean' && typeof fields.id === 'string') {
    const metadata = fields.metadata as { type_url?: string; value?: Uint8Array } | undefined;
    return { operation_id: fields.id, ...(metadata?.type_url && metadata.value ? unpacked(metadata.type_url, metadata.value, types) : {}) };
  }
  const details: JsonObject = {};
  if (typeof fields.id === 'string') details.id = fields.id;
  for (const [field, value] of Object.entries(fields)) {
    const id = value && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
    if (typeof id === 'string') details[`${field}_id`] = id;
  }
  return details;
}

function unpacked(typeUrl: string, value: Uint8Array, types: Registry): JsonObject {
  const schema = types.getMessage(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!schema) return {};
  const json: JsonValue = toJson(schema, fromBinary(schema, value), { useProtoFieldName: true });
  return json && typeof json === 'object' && !Array.isArray(json) ? json : {};
}

let cachedTypes: Registry | undefined;

/** The metadata types of Yandex's IoT Core operations. */
function operationTypes(): Registry {
  cachedTypes ??= anyTypes([RegistryService, DeviceService, BrokerService]);
  return cachedTypes;
}

/**
 * Where `--audit-log` sends the events: lines of the process log named "audit" (`stdout`), at info
 * whatever the log level; nowhere (`off`); or appended to a file, each line written before the call
 * is answered (changes are rare, and an audit file should not lose its last lines in a crash).
 */
export function auditLog(destination = 'stdout'): AuditSink {
  if (destination === 'off') return () => {};
  const logger =
    destination === 'stdout'
      ? createLogger({ name: 'audit', level: 'info' })
      : pino({ name: 'audit', level: 'info' }, pino.destination({ dest: openedForAppend(destination), sync: true }));
  return (event) => logger.info(event, 'audit');
}

/** Opens (creating) the file now, so that a path that cannot be written fails the start, not the first change. */
function openedForAppend(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  closeSync(openSync(file, 'a', 0o600));
  return file;
}
