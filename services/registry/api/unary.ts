// One adapter turns an async function into a grpc-js unary handler: the caller's principal,
// requests that did not decode, error mapping and a log line for unexpected failures. Every
// management RPC goes through it, called by the gRPC server or by the REST gateway (rest/gateway.ts).
import type { handleUnaryCall, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../../common/logging.js';
import type { Principal } from '../access/principal.js';
import type { AccessPolicy } from './access.js';
import { toServiceError } from './errors.js';
import { assertDecoded } from './request-decoding.js';

export interface HandlerContext {
  access: AccessPolicy;
  logger: Logger;
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
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const answer = ctx.access.principal(call.metadata).then(async (caller) => {
      assertDecoded(call.request);
      const response = await handler(call.request, caller, call);
      if (!caller.authorized) throw new UncheckedHandler(method);
      return response;
    });
    respond(ctx, method, answer, callback);
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

/** The response, or the error mapped to a gRPC status; an unexpected one is logged. */
function respond<Res>(ctx: HandlerContext, method: string, answer: Promise<Res>, callback: sendUnaryData<Res>): void {
  answer.then(
    (response) => callback(null, response),
    (error: unknown) => {
      const { serviceError, unexpected } = toServiceError(error);
      if (unexpected) ctx.logger.error({ err: error, method }, 'unexpected error in API call');
      callback(serviceError);
    },
  );
}

/** A handler answered without an access check: a bug, answered as an internal error. */
class UncheckedHandler extends Error {
  constructor(method: string) {
    super(`${method} answered without an access check`);
    this.name = 'UncheckedHandler';
  }
}
