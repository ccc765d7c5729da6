// iotcore.auth.v1.EdgeAuthService: the registry side of MQTT authentication for edges.
import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  EdgeAuthServiceService,
  type EdgeAuthServiceServer,
  AuthenticateResponse,
  AuthenticateResponse_Result,
  LookupDeviceResponse,
  Principal_Kind,
  ReportActivityResponse,
  Revocation,
  Revocation_Kind,
  type WatchRevocationsRequest,
} from '../../generated/iotcore/auth/v1/auth.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { ResourceContext } from '../resources/context.js';
import { toServiceError } from './errors.js';
import { unary, type HandlerContext } from './unary.js';

const KINDS = { device: Principal_Kind.DEVICE, registry: Principal_Kind.REGISTRY, broker: Principal_Kind.BROKER } as const;
const RESULTS = {
  OK: AuthenticateResponse_Result.OK,
  BAD_USERNAME_OR_PASSWORD: AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD,
  NOT_AUTHORIZED: AuthenticateResponse_Result.NOT_AUTHORIZED,
} as const;

export function edgeAuthService(ctx: ResourceContext, authenticator: Authenticator, handler: HandlerContext) {
  const implementation: EdgeAuthServiceServer = {
    authenticate: unary(handler, 'EdgeAuthService.Authenticate', async (request) => {
      const outcome = await authenticator.authenticate({
        username: request.username,
        password: request.has_password ? request.password : undefined,
        certificate_fingerprint: request.certificate_fingerprint || undefined,
      });
      if (outcome.result !== 'OK') return AuthenticateResponse.fromPartial({ result: RESULTS[outcome.result], reason: outcome.reason });
      const { principal } = outcome;
      return AuthenticateResponse.fromPartial({
        result: AuthenticateResponse_Result.OK,
        principal: { ...principal, kind: KINDS[principal.kind] },
      });
    }),

    lookupDevice: unary(handler, 'EdgeAuthService.LookupDevice', async (request) => {
      const device = await ctx.store.getDevice(request.device_id);
      return LookupDeviceResponse.fromPartial(device ? { exists: true, registry_id: device.registry_id, topic_aliases: device.topic_aliases } : { exists: false });
    }),

    watchRevocations: (call: ServerWritableStream<WatchRevocationsRequest, Revocation>) => {
      try {
        handler.access.check(call.metadata);
      } catch (error) {
        call.destroy(toServiceError(error).serviceError);
        return;
      }
      const unsubscribe = ctx.events.onRevocation((revocation) => {
        call.write(Revocation.fromPartial({ ...revocation, kind: Revocation_Kind[revocation.kind] }));
      });
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      call.write(Revocation.fromPartial({ kind: Revocation_Kind.READY }));
    },

    reportActivity: unary(handler, 'EdgeAuthService.ReportActivity', async (request) => {
      for (const activity of request.activities) {
        const { device_id, last_auth_ip, ...times } = activity;
        const patch = Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined));
        await ctx.store.recordDeviceMonitoring(device_id, { ...patch, ...(last_auth_ip ? { last_auth_ip } : {}) });
      }
      return ReportActivityResponse.fromPartial({});
    }),
  };
  return { definition: EdgeAuthServiceService, implementation };
}
