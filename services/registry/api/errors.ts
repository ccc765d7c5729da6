// Maps the errors raised by validation, the store and the resource rules onto gRPC statuses whose
// message names the offending field, as Yandex's API does.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { FieldError } from '../validation/field-error.js';
import { StoreError } from '../store/contract.js';
import { QuotaExceededError } from '../resources/context.js';
import { DataPlaneError, type DataPlaneFailure } from '../../contracts/data-plane.js';

export class ApiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toServiceError(error: unknown): { serviceError: ServiceError; unexpected: boolean } {
  const [code, message, unexpected] = classify(error);
  const serviceError = Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
  return { serviceError, unexpected };
}

const STORE_ERROR_STATUS: Record<StoreError['kind'], status> = {
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
};

const DATA_PLANE_STATUS: Record<DataPlaneFailure, status> = {
  NOT_FOUND: status.NOT_FOUND,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAVAILABLE: status.UNAVAILABLE,
};

function classify(error: unknown): [status, string, boolean] {
  if (error instanceof ApiError) return [error.code, error.message, false];
  if (error instanceof DataPlaneError) return [DATA_PLANE_STATUS[error.failure], error.message, false];
  if (error instanceof FieldError) return [status.INVALID_ARGUMENT, error.message, false];
  if (error instanceof QuotaExceededError) return [status.RESOURCE_EXHAUSTED, error.message, false];
  if (error instanceof StoreError) {
    return [STORE_ERROR_STATUS[error.kind], error.message, false];
  }
  return [status.INTERNAL, 'internal error', true];
}
