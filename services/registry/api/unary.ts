// One adapter turns an async function into a grpc-js unary handler: access check, requests that
// did not decode, error mapping and a log line for unexpected failures. Every management RPC goes
// through it, called by the gRPC server or by the REST gateway (rest/gateway.ts).
import type { handleUnaryCall, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../../common/logging.js';
import type { AccessPolicy } from './access.js';
import { toServiceError } from './errors.js';
import { assertDecoded } from './request-decoding.js';

export interface HandlerContext {
  access: AccessPolicy;
  logger: Logger;
}

export function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => {
        ctx.access.check(call.metadata);
        assertDecoded(call.request);
        return handler(call.request, call);
      })
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          const { serviceError, unexpected } = toServiceError(error);
          if (unexpected) ctx.logger.error({ err: error, method }, 'unexpected error in API call');
          callback(serviceError);
        },
      );
  };
}
