// One adapter turns an async function into a grpc-js unary handler: the caller's principal,
// requests that did not decode, error mapping, a log line for unexpected failures and the audit
// event of a changing call. Every management RPC goes through it, called by the gRPC server or by
// the REST gateway (rest/gateway.ts).
import type { handleUnaryCall, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../../common/logging.js';
import type { Principal } from '../access/principal.js';
import type { AccessPolicy } from './access.js';
import { toServiceError } from './errors.js';
import { assertDecoded } from './request-decoding.js';
import { auditEvent, auditEventType, type AuditedCall, type AuditSink } from './audit.js';

export interface HandlerContext {
  access: AccessPolicy;
  logger: Logger;
  audit: AuditSink;
}

/**
 * `handler` must ask `caller` (require…) before it answers: one that answers without asking is
 * refused with INTERNAL and logged, so a missing check fails closed.
 */
export function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  handler: (request: Req, caller: Principal, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const auditType = auditEventType(method);
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let caller: Principal | undefined;
    const answer = ctx.access.principal(call.metadata).then(async (principal) => {
      caller = principal;
      assertDecoded(call.request);
      const response = await handler(call.request, principal, call);
      if (!principal.authorized) throw new UncheckedHandler(method);
      return response;
    });
    respond(ctx, method, answer, callback, (outcome) => {
      if (auditType) audit(ctx, method, { type: auditType, caller: caller?.name, call, outcome });
    });
  };
}

/**
 * For the few methods that are public by design, as Yandex's are: service discovery, and the IAM
 * token exchange, whose request is itself the credential. No principal is looked up, so a
 * missing or stale bearer token (the SDKs send none there) cannot make them fail.
 */
export function publicUnary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const answer = Promise.resolve().then(() => {
      assertDecoded(call.request);
      return handler(call.request, call);
    });
    respond(ctx, method, answer, callback);
  };
}

/** The response, or the error mapped to a gRPC status; an unexpected one is logged. `settled` sees what was answered. */
function respond<Res>(
  ctx: HandlerContext,
  method: string,
  answer: Promise<Res>,
  callback: sendUnaryData<Res>,
  settled: (outcome: AuditedCall['outcome']) => void = () => {},
): void {
  answer.then(
    (response) => {
      callback(null, response);
      settled({ response });
    },
    (error: unknown) => {
      const { serviceError, unexpected } = toServiceError(error);
      if (unexpected) ctx.logger.error({ err: error, method }, 'unexpected error in API call');
      callback(serviceError);
      settled({ error: { code: serviceError.code ?? 2, message: serviceError.details ?? '' } });
    },
  );
}

/** Hands the call's audit event to the sink; a failure to build it is logged, never the caller's problem. */
function audit(
  ctx: HandlerContext,
  method: string,
  {
    type,
    caller,
    call,
    outcome,
  }: { type: string; caller?: string; call: ServerUnaryCall<unknown, unknown>; outcome: AuditedCall['outcome'] },
): void {
  try {
    const peer = typeof call.getPeer === 'function' ? call.getPeer() : '';
    ctx.audit(auditEvent({ type, caller, peer, metadata: call.metadata, request: call.request, outcome, now: new Date() }));
  } catch (error) {
    ctx.logger.error({ err: error, method }, 'could not write the audit event of an API call');
  }
}

/** A handler answered without an access check: a bug, answered as an internal error. */
class UncheckedHandler extends Error {
  constructor(method: string) {
    super(`${method} answered without an access check`);
    this.name = 'UncheckedHandler';
  }
}
