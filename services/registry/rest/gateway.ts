// The REST gateway without its socket: an HTTP request in, a status and a JSON body out. Each route
// calls the very handler the gRPC server registers for its method, with the request decoded by the
// same deserializer and the bearer token as `authorization` metadata, so validation, the access
// check and the error statuses are the gRPC API's (one implementation, two transports).
import {
  Metadata,
  status,
  type handleUnaryCall,
  type MethodDefinition,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { JsonValue } from '@bufbuild/protobuf';
import type { Logger } from '../../common/logging.js';
import { UndecodableRequest } from '../api/request-decoding.js';
import { matchTemplate, splitRequestPath } from './path-template.js';
import { requestBytes, RequestMappingError, responseJson, type HttpRequestParts } from './json-mapping.js';
import { anyTypes } from '../api/any-types.js';
import { errorBody, httpStatus } from './http-status.js';
import { REST_SERVICES, type Route } from './routes.js';
import { restCallTimer } from './metrics.js';

/** The `rpc` label of a request no route matched. */
const UNMATCHED = 'unmatched';

export interface GatewayRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path without the query, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  authorization?: string;
  userAgent?: string;
  requestId?: string;
  /** The client's address:port, for the audit trail. */
  peer: string;
  body: string;
}

export interface GatewayResponse {
  status: number;
  body: JsonValue;
  headers?: Record<string, string>;
}

export type Gateway = (request: GatewayRequest) => Promise<GatewayResponse>;

interface UnaryMethod {
  definition: MethodDefinition<unknown, unknown>;
  handler: handleUnaryCall<unknown, unknown>;
}

/** The gateway over `services` (the registry's gRPC services); throws if a route has no handler. */
export function restGateway(
  routes: Route[],
  services: Array<{ definition: ServiceDefinition; implementation: UntypedServiceImplementation }>,
  logger: Logger,
): Gateway {
  const methods = new Map<string, UnaryMethod>(
    services.flatMap(({ definition, implementation }) =>
      Object.entries(definition).map(([name, method]): [string, UnaryMethod] => [
        method.path,
        { definition: method, handler: implementation[name] as handleUnaryCall<unknown, unknown> },
      ]),
    ),
  );
  for (const route of routes) {
    if (!methods.has(route.grpcPath)) throw new Error(`REST route ${route.httpMethod} ${route.path}: no handler for ${route.grpcPath}`);
  }
  const types = anyTypes(REST_SERVICES);

  return async (request) => {
    const record = restCallTimer();
    const { rpc, response } = await answer(request);
    record(rpc, response.status);
    return response;
  };

  async function answer(request: GatewayRequest): Promise<{ rpc: string; response: GatewayResponse }> {
    const path = splitRequestPath(request.path);
    const matches = path
      ? routes.flatMap((route) => {
          const variables = matchTemplate(route.template, path);
          return variables ? [{ route, variables }] : [];
        })
      : [];
    if (matches.length === 0) return { rpc: UNMATCHED, response: failure(status.NOT_FOUND, `no such path: ${request.path}`) };
    const match = matches.find(({ route }) => route.httpMethod === request.method);
    if (!match) {
      const allowed = matches.map(({ route }) => route.httpMethod).join(', ');
      const response = failure(status.UNIMPLEMENTED, `${request.method} is not allowed on ${request.path} (allowed: ${allowed})`, 405);
      return { rpc: UNMATCHED, response: { ...response, headers: { allow: allowed } } };
    }
    const { route, variables } = match;
    const rpc = `${route.method.parent.name}.${route.method.name}`;
    const method = methods.get(route.grpcPath)!;
    try {
      const response = await call(method, decodeRequest(method, route, { variables, query: request.query, body: request.body }), request);
      return {
        rpc,
        response: { status: 200, body: responseJson(route.method.output, method.definition.responseSerialize(response), types) },
      };
    } catch (error) {
      const code = (error as Partial<ServiceError>).code;
      if (typeof code === 'number') return { rpc, response: failure(code, (error as ServiceError).details) };
      logger.error({ err: error, route: `${route.httpMethod} ${route.path}` }, 'unexpected error in REST call');
      return { rpc, response: failure(status.INTERNAL, 'internal error') };
    }
  }

  /** What the handler gets: a request that did not map onto its message is answered as one that did not decode. */
  function decodeRequest(method: UnaryMethod, route: Route, parts: HttpRequestParts): unknown {
    try {
      return method.definition.requestDeserialize(Buffer.from(requestBytes(route, parts, types)));
    } catch (error) {
      if (error instanceof RequestMappingError) return new UndecodableRequest(error.message);
      throw error;
    }
  }
}

/** Calls a grpc-js unary handler as the server would; the unary adapter (api/unary.ts) reads only `request`, `metadata` and the peer. */
function call(method: UnaryMethod, request: unknown, http: GatewayRequest): Promise<unknown> {
  const metadata = new Metadata();
  if (http.authorization !== undefined) metadata.set('authorization', http.authorization);
  if (http.userAgent !== undefined) metadata.set('user-agent', http.userAgent);
  if (http.requestId !== undefined) metadata.set('x-request-id', http.requestId);
  const unaryCall = { request, metadata, getPeer: () => http.peer } as ServerUnaryCall<unknown, unknown>;
  return new Promise((resolve, reject) => method.handler(unaryCall, (error, response) => (error ? reject(error) : resolve(response))));
}

function failure(code: status, message: string, httpCode = httpStatus(code)): GatewayResponse {
  return { status: httpCode, body: errorBody(code, message) };
}
