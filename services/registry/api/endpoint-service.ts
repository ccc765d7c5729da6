// yandex.cloud.endpoint.ApiEndpointService: the discovery call Yandex's SDKs make before anything
// else (the Python SDK lists every endpoint, then opens a channel per service id). Every service
// iotcore serves is on its one API port, so every id answers with the same address: the
// `--api-advertise` one when a load balancer stands in front, else the API's own.
import { status, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  ApiEndpointServiceService,
  type ApiEndpointServiceServer,
  ListApiEndpointsResponse,
} from '../../generated/yandex/cloud/endpoint/api_endpoint_service.js';
import { ApiEndpoint } from '../../generated/yandex/cloud/endpoint/api_endpoint.js';
import { hostPort } from '../../common/host-port.js';
import { ApiError } from './errors.js';
import { publicUnary, type HandlerContext } from './unary.js';

/**
 * The ids the SDKs ask for that iotcore serves: the Python SDK's module map (`yandexcloud/_sdk.py`:
 * iot-devices for every yandex.cloud.iot.devices service, data services included) and the Go SDK's
 * (`iot-data` for the data services, `iot-broker`, `broker-data`), plus what both need around them.
 */
export const API_ENDPOINT_IDS = ['endpoint', 'iam', 'operation', 'iot-devices', 'iot-data', 'iot-broker', 'broker-data'] as const;

/**
 * The address to hand out. Without `advertise`, the bound address; a wildcard host (0.0.0.0, ::)
 * names no machine, so the host the client itself dialled (its `:authority`) stands in for it.
 */
export function discoveryAddress(options: { advertise?: string; bound: string; authority: string }): string {
  if (options.advertise) return options.advertise;
  const { host, port } = hostPort(options.bound);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return options.bound;
  const dialled = options.authority.includes(':') ? hostPort(options.authority).host : options.authority;
  return `${dialled.includes(':') ? `[${dialled}]` : dialled || '127.0.0.1'}:${port}`;
}

export function endpointService(handler: HandlerContext, address: { advertise?: string; bound: () => string }) {
  const addressFor = (call: ServerUnaryCall<unknown, unknown>) =>
    discoveryAddress({ advertise: address.advertise, bound: address.bound(), authority: call.getHost?.() ?? '' });
  const implementation: ApiEndpointServiceServer = {
    list: publicUnary(handler, 'ApiEndpointService.List', async (_request, call) => {
      const served = addressFor(call);
      return ListApiEndpointsResponse.fromPartial({ endpoints: API_ENDPOINT_IDS.map((id) => ({ id, address: served })) });
    }),
    get: publicUnary(handler, 'ApiEndpointService.Get', async (request, call) => {
      if (!(API_ENDPOINT_IDS as readonly string[]).includes(request.api_endpoint_id)) {
        throw new ApiError(status.NOT_FOUND, `api endpoint ${request.api_endpoint_id} not found`);
      }
      return ApiEndpoint.fromPartial({ id: request.api_endpoint_id, address: addressFor(call) });
    }),
  };
  return { definition: ApiEndpointServiceService, implementation };
}
