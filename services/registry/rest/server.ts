// The REST gateway's listener: HTTPS with the management API's certificate when it has one, plain
// HTTP otherwise (as the gRPC port). Reads a bounded body, hands the request to the gateway and
// writes its JSON; a failure here answers 500 and never takes the process down.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { status } from '@grpc/grpc-js';
import type { Logger } from '../../common/logging.js';
import { hostPort } from '../../common/host-port.js';
import type { Gateway, GatewayResponse } from './gateway.js';
import { errorBody } from './http-status.js';
import type { ConsoleAssets } from './console-assets.js';

/**
 * The gRPC API's default message limit: a publish of the largest payload (256 KiB, base64 in
 * JSON) or a create with a handful of certificates is far below it.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface RestServerOptions {
  listen: string;
  tls?: { cert: Buffer; key: Buffer };
  gateway: Gateway;
  /** The web console's files under /console/; the API alone when omitted. */
  console?: ConsoleAssets;
  logger: Logger;
}

export interface RunningRestServer {
  /** host:port actually bound. */
  address: string;
  close(): Promise<void>;
}

export async function startRestServer(options: RestServerOptions): Promise<RunningRestServer> {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const asset = options.console?.serve(request.method ?? 'GET', (request.url ?? '/').split('?', 1)[0]!, request.headers.host);
    if (asset) {
      response.writeHead(asset.status, asset.headers);
      response.end(asset.body);
      return;
    }
    serveRequest(request, options.gateway).then(
      (answer) => send(response, answer),
      (error: unknown) => {
        options.logger.error({ err: error }, 'REST request failed');
        if (response.headersSent) response.destroy();
        else send(response, { status: 500, body: errorBody(status.INTERNAL, 'internal error') });
      },
    );
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle)
    : createHttpServer(handle);
  const { host, port } = hostPort(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveRequest(request: IncomingMessage, gateway: Gateway): Promise<GatewayResponse> {
  const body = await readBody(request);
  if (body === undefined) {
    return {
      status: 413,
      body: errorBody(status.RESOURCE_EXHAUSTED, `the request body is larger than ${MAX_BODY_BYTES} bytes`),
      headers: { connection: 'close' },
    };
  }
  // Split by hand: WHATWG URL parsing would resolve `..` and read `//x` as a host.
  const [path, query = ''] = (request.url ?? '/').split(/\?(.*)/s, 2) as [string, string?];
  return gateway({
    method: request.method ?? 'GET',
    path,
    query: new URLSearchParams(query),
    authorization: request.headers.authorization,
    userAgent: request.headers['user-agent'],
    requestId: [request.headers['x-request-id'] ?? []].flat()[0],
    peer: `${request.socket.remoteAddress ?? ''}:${request.socket.remotePort ?? ''}`,
    body,
  });
}

/** The body as text, or undefined once it passes MAX_BODY_BYTES (the rest is not read). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        request.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, answer: GatewayResponse): void {
  response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  response.end(JSON.stringify(answer.body));
}
