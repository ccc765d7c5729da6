// iotcore.migration.v1.ImportService: Yandex wire messages in, import rules applied, plan out.
import { FieldError } from '../validation/field-error.js';
import {
  ImportResult,
  ImportResult_Action,
  ImportServiceService,
  type Credentials,
  type ImportServiceServer,
} from '../../generated/iotcore/migration/v1/import.js';
import { Registry_Status, type Registry } from '../../generated/yandex/cloud/iot/devices/v1/registry.js';
import type { Device } from '../../generated/yandex/cloud/iot/devices/v1/device.js';
import type { Broker } from '../../generated/yandex/cloud/iot/broker/v1/broker.js';
import * as imports from '../resources/imports.js';
import type { ResourceContext } from '../resources/context.js';
import type { BrokerRecord, DeviceRecord, RegistryRecord } from '../store/records.js';
import { logOptionsRecord } from './messages.js';
import { unary, type HandlerContext } from './unary.js';

export function importService(ctx: ResourceContext, handler: HandlerContext) {
  const implementation: ImportServiceServer = {
    importRegistry: unary(handler, 'ImportService.ImportRegistry', async (request, caller) => {
      caller.requireBootstrapAdmin();
      return result(
        await imports.importRegistry(
          ctx,
          registryRecord(required('registry', request.registry), ctx),
          credentials(request.credentials),
          request.dry_run,
        ),
      );
    }),
    importDevice: unary(handler, 'ImportService.ImportDevice', async (request, caller) => {
      caller.requireBootstrapAdmin();
      return result(
        await imports.importDevice(
          ctx,
          deviceRecord(required('device', request.device), ctx),
          credentials(request.credentials),
          request.dry_run,
        ),
      );
    }),
    importBroker: unary(handler, 'ImportService.ImportBroker', async (request, caller) => {
      caller.requireBootstrapAdmin();
      return result(
        await imports.importBroker(
          ctx,
          brokerRecord(required('broker', request.broker), ctx),
          credentials(request.credentials),
          request.dry_run,
        ),
      );
    }),
  };
  return { definition: ImportServiceService, implementation };
}

function required<T>(field: string, value: T | undefined): T {
  if (value === undefined) throw new FieldError(field, 'is required');
  return value;
}

/** The fields registries and brokers share: folder-level resources with log options. */
function folderResource(message: Registry | Broker, ctx: ResourceContext) {
  return {
    id: message.id,
    folder_id: message.folder_id,
    created_at: message.created_at ?? ctx.now(),
    name: message.name,
    description: message.description,
    labels: message.labels,
    log_options: logOptionsRecord(message.log_options),
  };
}

// Yandex's transitional states (CREATING, DELETING) import as ACTIVE; DISABLED stays disabled.
function registryRecord(message: Registry, ctx: ResourceContext): RegistryRecord {
  return { ...folderResource(message, ctx), status: message.status === Registry_Status.DISABLED ? 'DISABLED' : 'ACTIVE' };
}

function deviceRecord(message: Device, ctx: ResourceContext): DeviceRecord {
  return {
    id: message.id,
    registry_id: message.registry_id,
    created_at: message.created_at ?? ctx.now(),
    name: message.name,
    description: message.description,
    topic_aliases: message.topic_aliases,
    labels: message.labels,
    monitoring: {},
  };
}

function brokerRecord(message: Broker, ctx: ResourceContext): BrokerRecord {
  return folderResource(message, ctx);
}

function credentials(message: Credentials | undefined): imports.ImportedCredentials {
  return {
    certificates: (message?.certificates ?? []).map(({ fingerprint, certificate_data, created_at }) => ({
      fingerprint,
      certificate_data,
      created_at,
    })),
    passwords: (message?.passwords ?? []).map(({ id, created_at, password }) => ({ id, created_at, password })),
  };
}

function result(outcome: imports.ImportOutcome): ImportResult {
  return ImportResult.fromPartial({ action: ImportResult_Action[outcome.action], changes: outcome.changes, conflicts: outcome.conflicts });
}
