// A promise wrapper over grpc-js unary calls, for every gRPC client in iotcore (CLI, importer, tests).
import type { CallOptions, Client, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** A grpc-js client whose unary methods return promises. */
export type PromiseClient<C> = {
  [K in keyof C]: C[K] extends (
    request: infer Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: Callback<infer Res>,
  ) => ClientUnaryCall
    ? (request: Req) => Promise<Res>
    : never;
};

/** Wraps a grpc-js client; `deadlineMs` bounds each call (none by default). */
export function promiseClient<C extends Client>(client: C, metadata: Metadata, deadlineMs?: number): PromiseClient<C> {
  return new Proxy(client, {
    get(target, property) {
      const method = Reflect.get(target, property) as unknown;
      if (typeof method !== 'function') return method;
      return (request: unknown) =>
        new Promise((resolve, reject) => {
          const options: Partial<CallOptions> = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
          method.call(target, request, metadata, options, (error: ServiceError | null, response: unknown) =>
            error ? reject(error) : resolve(response),
          );
        });
    },
  }) as unknown as PromiseClient<C>;
}
