// iotcore.auth.v1.EdgeAuthService: the registry side of MQTT authentication for edges.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import {
  EdgeAuthServiceService,
  type EdgeAuthServiceServer,
  AuthenticateResponse,
  AuthenticateResponse_Result,
  CheckSessionsResponse,
  ListRegistryExportsResponse,
  ListSourceTriggersResponse,
  LookupDeviceResponse,
  Principal_Kind,
  ReportActivityResponse,
  WriteLogsResponse,
  Revocation,
  Revocation_Kind,
  type WatchRevocationsRequest,
} from '../../generated/iotcore/auth/v1/auth.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { AuthOutcome } from '../../contracts/principal.js';
import type { ResourceContext } from '../resources/context.js';
import type { ConnectionLogStore } from '../logs/log-store.js';
import { ApiError, toServiceError } from './errors.js';
import { FieldError } from '../validation/field-error.js';
import { unary, type HandlerContext } from './unary.js';
import { assertDecoded } from './request-decoding.js';
import { validateTime } from '../validation/resource-fields.js';

const KINDS = { device: Principal_Kind.DEVICE, registry: Principal_Kind.REGISTRY, broker: Principal_Kind.BROKER } as const;
const OWNER_KINDS = {
  [Principal_Kind.DEVICE]: 'device',
  [Principal_Kind.REGISTRY]: 'registry',
  [Principal_Kind.BROKER]: 'broker',
} as const;
/** Connection-log entries one WriteLogs call may carry (an edge sends at most 500 at a time). */
const MAX_LOG_ENTRIES = 5000;
/** Sessions one CheckSessions call may ask about. */
const MAX_CHECKED_SESSIONS = 1000;
const RESULTS = {
  OK: AuthenticateResponse_Result.OK,
  BAD_USERNAME_OR_PASSWORD: AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD,
  NOT_AUTHORIZED: AuthenticateResponse_Result.NOT_AUTHORIZED,
} as const;

export function edgeAuthService(ctx: ResourceContext, authenticator: Authenticator, logs: ConnectionLogStore, handler: HandlerContext) {
  const implementation: EdgeAuthServiceServer = {
    authenticate: unary(handler, 'EdgeAuthService.Authenticate', async (request, caller) => {
      caller.requireBootstrapAdmin();
      const outcome = await authenticator.authenticate({
        username: request.username,
        password: request.has_password ? request.password : undefined,
        certificate_fingerprint: request.certificate_fingerprint || undefined,
      });
      return toResponse(outcome);
    }),

    checkSessions: unary(handler, 'EdgeAuthService.CheckSessions', async (request, caller) => {
      caller.requireBootstrapAdmin();
      if (request.sessions.length > MAX_CHECKED_SESSIONS)
        throw new ApiError(status.INVALID_ARGUMENT, `sessions: at most ${MAX_CHECKED_SESSIONS} per call`);
      const results: AuthenticateResponse[] = [];
      for (const session of request.sessions) {
        const kind = OWNER_KINDS[session.kind as keyof typeof OWNER_KINDS];
        results.push(
          toResponse(
            kind
              ? await authenticator.recheck(kind, session.id, session.credential_id)
              : { result: 'NOT_AUTHORIZED', reason: 'unknown principal kind' },
          ),
        );
      }
      return CheckSessionsResponse.fromPartial({ results });
    }),

    lookupDevice: unary(handler, 'EdgeAuthService.LookupDevice', async (request, caller) => {
      caller.requireBootstrapAdmin();
      const device = await ctx.store.getDevice(request.device_id);
      return LookupDeviceResponse.fromPartial(
        device ? { exists: true, registry_id: device.registry_id, topic_aliases: device.topic_aliases } : { exists: false },
      );
    }),

    watchRevocations: async (call: ServerWritableStream<WatchRevocationsRequest, Revocation>) => {
      try {
        (await handler.access.principal(call.metadata)).requireBootstrapAdmin();
        assertDecoded(call.request);
      } catch (error) {
        call.destroy(toServiceError(error).serviceError);
        return;
      }
      const after = call.request.after_epoch ? { epoch: call.request.after_epoch, seq: call.request.after_seq } : undefined;
      const unsubscribe = ctx.events.follow(after, {
        revocation: (revocation, cursor) =>
          call.write(Revocation.fromPartial({ ...revocation, kind: Revocation_Kind[revocation.kind], ...cursor })),
        gap: (reason) => call.write(Revocation.fromPartial({ kind: Revocation_Kind.GAP, reason })),
        ready: (head) => call.write(Revocation.fromPartial({ kind: Revocation_Kind.READY, ...head })),
        // The edge sees the stream end and resumes from its position against a live replica.
        lost: () => call.end(),
      });
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
    },

    reportActivity: unary(handler, 'EdgeAuthService.ReportActivity', async (request, caller) => {
      caller.requireBootstrapAdmin();
      // Every time is checked before any is stored (an Invalid Date cannot be stored).
      const reports = request.activities.map(({ device_id, last_auth_ip, ...times }, index) => {
        const patch = Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined));
        for (const [field, time] of Object.entries(patch)) validateTime(`activities[${index}].${field}`, time);
        return { device_id, patch: { ...patch, ...(last_auth_ip ? { last_auth_ip } : {}) } };
      });
      await ctx.store.recordDeviceMonitoring(reports);
      return ReportActivityResponse.fromPartial({});
    }),

    writeLogs: unary(handler, 'EdgeAuthService.WriteLogs', async (request, caller) => {
      caller.requireBootstrapAdmin();
      if (request.entries.length > MAX_LOG_ENTRIES)
        throw new ApiError(status.INVALID_ARGUMENT, `entries: at most ${MAX_LOG_ENTRIES} per call`);
      const entries = request.entries.map((entry, index) => {
        validateTime(`entries[${index}].timestamp`, entry.timestamp);
        if (!entry.uid || !entry.timestamp)
          throw new ApiError(status.INVALID_ARGUMENT, `entries[${index}]: uid and timestamp are required`);
        if (!entry.registry_id === !entry.broker_id)
          throw new ApiError(status.INVALID_ARGUMENT, `entries[${index}]: exactly one of registry_id and broker_id is required`);
        return { ...entry, timestamp: entry.timestamp };
      });
      await logs.append(entries);
      return WriteLogsResponse.fromPartial({});
    }),

    listRegistryExports: unary(handler, 'EdgeAuthService.ListRegistryExports', async (request, caller) => {
      caller.requireBootstrapAdmin();
      const records = await ctx.store.listDataStreamExports(request.registry_id);
      return ListRegistryExportsResponse.fromPartial({
        exports: records.map(({ id, mqtt_topic_filter, stream }) => ({ id, mqtt_topic_filter, stream })),
      });
    }),

    listSourceTriggers: unary(handler, 'EdgeAuthService.ListSourceTriggers', async (request, caller) => {
      caller.requireBootstrapAdmin();
      if (request.kind !== 'registry' && request.kind !== 'broker') throw new FieldError('kind', 'must be registry or broker');
      const records = await ctx.store.listSourceTriggers(request.kind, request.id);
      return ListSourceTriggersResponse.fromPartial({ triggers: records.map(({ id, device_id, filter }) => ({ id, device_id, filter })) });
    }),
  };
  return { definition: EdgeAuthServiceService, implementation };
}

function toResponse(outcome: AuthOutcome): AuthenticateResponse {
  if (outcome.result !== 'OK') {
    const subject = outcome.subject && { ...outcome.subject, kind: KINDS[outcome.subject.kind] };
    return AuthenticateResponse.fromPartial({ result: RESULTS[outcome.result], reason: outcome.reason, subject });
  }
  return AuthenticateResponse.fromPartial({
    result: AuthenticateResponse_Result.OK,
    principal: { ...outcome.principal, kind: KINDS[outcome.principal.kind] },
  });
}
