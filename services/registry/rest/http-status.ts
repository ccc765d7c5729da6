// gRPC status → HTTP status, as grpc-gateway maps them (its HTTPStatusFromCode, after google.rpc.Code),
// and the error body Yandex's REST API answered: a google.rpc.Status in JSON, `{code, message, details}`.
import { status } from '@grpc/grpc-js';

const HTTP_STATUS: Record<status, number> = {
  [status.OK]: 200,
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

export function httpStatus(code: status): number {
  return HTTP_STATUS[code] ?? 500;
}

export type ErrorBody = { code: status; message: string; details: [] };

export function errorBody(code: status, message: string): ErrorBody {
  return { code, message, details: [] };
}
