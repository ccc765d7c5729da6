// REST calls, counted apart from the gRPC ones (grpc_server_* keep go-grpc-prometheus' meaning):
// by the RPC the route calls ("unmatched" for a path or verb with no route) and the HTTP status.
import { Counter, Histogram } from 'prom-client';

const requests = new Counter({
  name: 'iotcore_rest_requests_total',
  help: 'REST API requests answered, by RPC and HTTP status',
  labelNames: ['rpc', 'code'],
});
const duration = new Histogram({
  name: 'iotcore_rest_request_duration_seconds',
  help: 'time from a REST request read in full to its answer',
  labelNames: ['rpc'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/** Starts timing a request; the returned function records it once its RPC (if any) and status are known. */
export function restCallTimer(): (rpc: string, status: number) => void {
  const stop = duration.startTimer();
  return (rpc, status) => {
    stop({ rpc });
    requests.inc({ rpc, code: String(status) });
  };
}
