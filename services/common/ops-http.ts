// The operations port of every iotcore process: /healthz (the process runs), /readyz (its
// dependencies answer and it is not draining: 503 with the failing checks otherwise; 200 with
// status "degraded" when only a check that cannot stop the service fails) and /metrics
// (Prometheus text format from prom-client's default registry).
import http from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Logger } from './logging.js';

export interface ReadinessCheck {
  name: string;
  /** Resolves true when the dependency answers; a check taking over 2 s counts as failing. */
  check(): boolean | Promise<boolean>;
  /** Failing makes the process degraded, not unready (it keeps serving, with a known weakness). */
  degradesOnly?: boolean;
}

export interface OpsServer {
  address: string;
  /** From now on /readyz answers 503 (graceful shutdown). */
  setDraining(): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;
let defaultMetricsStarted = false;

export async function startOpsServer(options: { listen: string; checks: ReadinessCheck[]; logger: Logger }): Promise<OpsServer> {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics();
    defaultMetricsStarted = true;
  }
  let draining = false;
  const server = http.createServer((request, response) => {
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(code, { 'content-type': type });
      response.end(body);
    };
    const route = request.url?.split('?')[0];
    if (request.method !== 'GET') return reply(405, 'method not allowed\n');
    if (route === '/healthz') return reply(200, 'ok\n');
    if (route === '/readyz') {
      void readiness(options.checks, draining).then(({ ready, status, checks }) =>
        reply(ready ? 200 : 503, `${JSON.stringify({ ready, status, draining, checks })}\n`, 'application/json'),
      );
      return;
    }
    if (route === '/metrics') {
      register.metrics().then(
        (text) => reply(200, text, register.contentType),
        (error: Error) => reply(500, `${error.message}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  const separator = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, separator);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.listen.slice(separator + 1)), host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  options.logger.info({ address: `${host}:${port}` }, `health and metrics on http://${host}:${port}`);
  return {
    address: `${host}:${port}`,
    setDraining: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs the checks (each bounded by CHECK_TIMEOUT_MS); also what the web console's cluster page shows. */
export async function readiness(
  checks: ReadinessCheck[],
  draining: boolean,
): Promise<{ ready: boolean; status: 'ok' | 'degraded' | 'failing'; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async ({ name, check, degradesOnly }) => {
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CHECK_TIMEOUT_MS).unref());
      const ok = await Promise.race([
        Promise.resolve()
          .then(check)
          .catch(() => false),
        timeout,
      ]);
      return { name, ok, degradesOnly: degradesOnly === true };
    }),
  );
  const ready = !draining && results.every((result) => result.ok || result.degradesOnly);
  const status = !ready ? 'failing' : results.every((result) => result.ok) ? 'ok' : 'degraded';
  return { ready, status, checks: Object.fromEntries(results.map((result) => [result.name, result.ok])) };
}
