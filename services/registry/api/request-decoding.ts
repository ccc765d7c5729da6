// Requests that do not decode reach the handler and are answered INVALID_ARGUMENT. grpc-js answers
// a request its deserializer throws on with INTERNAL, and the generated ts-proto code throws on a
// well-formed int64 beyond ±2^53 (forceLong=number): `page_size: 2^63-1` would read as a server
// fault instead of a bad argument (found by the api-requests fuzz target, test/fuzz/).
import { status, type ServiceDefinition } from '@grpc/grpc-js';
import { ApiError } from './errors.js';

/** What the handler gets in place of a request that did not decode. */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/** `definition` with a deserializer that hands decoding failures on as an UndecodableRequest. */
export function decodingFailuresToHandlers(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return method.requestDeserialize(bytes);
          } catch (error) {
            return new UndecodableRequest((error as Error).message);
          }
        },
      },
    ]),
  );
}

/** Throws INVALID_ARGUMENT for a request that did not decode. */
export function assertDecoded(request: unknown): void {
  if (request instanceof UndecodableRequest) throw new ApiError(status.INVALID_ARGUMENT, `the request does not decode: ${request.reason}`);
}
