// gRPC server metrics named as go-grpc-prometheus names them (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_handling_seconds), so existing dashboards and alerts for
// gRPC services work on the registry unchanged. Each handler is wrapped where it is registered.
import { status, type ServiceDefinition, type UntypedHandleCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';

const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
const started = new Counter({ name: 'grpc_server_started_total', help: 'RPCs started on the server', labelNames });
const handled = new Counter({
  name: 'grpc_server_handled_total',
  help: 'RPCs completed on the server, by status code',
  labelNames: [...labelNames, 'grpc_code'],
});
const handling = new Histogram({
  name: 'grpc_server_handling_seconds',
  help: 'time from the start of an RPC to its status, on the server',
  labelNames,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

type Labels = Record<(typeof labelNames)[number], string>;
type Callback = (error: { code?: number } | null, ...rest: unknown[]) => void;
type StreamCall = NodeJS.EventEmitter;

/** The implementation with every method's calls counted and timed. */
export function instrumentService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): UntypedServiceImplementation {
  const instrumented: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name] as ((...args: unknown[]) => unknown) | undefined;
    if (!handler) continue;
    const [, service, rpc] = method.path.split('/') as [string, string, string];
    const labels: Labels = { grpc_type: grpcType(method.requestStream, method.responseStream), grpc_service: service, grpc_method: rpc };
    const begin = () => {
      started.inc(labels);
      const stop = handling.startTimer(labels);
      let done = false;
      return (code: number) => {
        if (done) return;
        done = true;
        stop();
        handled.inc({ ...labels, grpc_code: status[code] ?? String(code) });
      };
    };
    instrumented[name] = (
      method.responseStream
        ? (call: StreamCall) => {
            const finish = begin();
            call.once('finish', () => finish(status.OK));
            call.once('cancelled', () => finish(status.CANCELLED));
            call.once('error', (error: { code?: number }) => finish(error.code ?? status.UNKNOWN));
            return handler(call);
          }
        : (call: unknown, callback: Callback) => {
            const finish = begin();
            return handler(call, (error: { code?: number } | null, ...rest: unknown[]) => {
              finish(error ? (error.code ?? status.UNKNOWN) : status.OK);
              callback(error, ...rest);
            });
          }
    ) as UntypedHandleCall;
  }
  return instrumented;
}

function grpcType(requestStream: boolean, responseStream: boolean): string {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}
