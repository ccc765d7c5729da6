// The REST routes, derived from the `(google.api.http)` annotations of our protos (copied from
// Yandex's and checked against them by test/proto/http-annotations.test.ts): no route is written
// by hand, with one exception: Yandex served its data-stream-export methods over gRPC only, and the
// web console needs them, so they get iotcore routes below (under /iotcore-devices/, a prefix of our
// own that cannot collide with Yandex's paths), validated by the same code as the annotations.
import { create, getOption, hasOption, ScalarType, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { http } from '../../generated/google/api/annotations_pb.js';
import { HttpRuleSchema, type HttpRule } from '../../generated/google/api/http_pb.js';
import { RegistryService } from '../../generated/yandex/cloud/iot/devices/v1/registry_service_pb.js';
import { DeviceService } from '../../generated/yandex/cloud/iot/devices/v1/device_service_pb.js';
import { DeviceDataService } from '../../generated/yandex/cloud/iot/devices/v1/device_data_service_pb.js';
import { RegistryDataService } from '../../generated/yandex/cloud/iot/devices/v1/registry_data_service_pb.js';
import { BrokerService } from '../../generated/yandex/cloud/iot/broker/v1/broker_service_pb.js';
import { BrokerDataService } from '../../generated/yandex/cloud/iot/broker/v1/broker_data_service_pb.js';
import { OperationService } from '../../generated/yandex/cloud/operation/operation_service_pb.js';
import { AccessTokenService } from '../../generated/iotcore/access/v1/access_pb.js';
import { TriggerService } from '../../generated/iotcore/triggers/v1/triggers_pb.js';
import { ApiEndpointService } from '../../generated/yandex/cloud/endpoint/api_endpoint_service_pb.js';
import { IamTokenService } from '../../generated/yandex/cloud/iam/v1/iam_token_service_pb.js';
import { LogService } from '../../generated/iotcore/logs/v1/logs_pb.js';
import { ConsoleService } from '../../generated/iotcore/console/v1/console_pb.js';
import { parseTemplate, type PathTemplate } from './path-template.js';

/**
 * The services Yandex served over HTTPS/JSON as well as gRPC (endpoint discovery and the IAM token
 * exchange too: scripts `curl` those), and iotcore's own access token and trigger APIs.
 */
export const REST_SERVICES: readonly DescService[] = [
  RegistryService,
  DeviceService,
  BrokerService,
  OperationService,
  DeviceDataService,
  RegistryDataService,
  BrokerDataService,
  AccessTokenService,
  TriggerService,
  ApiEndpointService,
  IamTokenService,
  LogService,
  ConsoleService,
];

const EXPORTS = '/iotcore-devices/v1/registries/{registry_id}/dataStreamExports';

/** iotcore's routes for the methods Yandex left without one (see the top of the file). */
const IOTCORE_RULES: ReadonlyArray<[method: DescMethod, rule: HttpRule]> = [
  [RegistryService.method.listDataStreamExports, create(HttpRuleSchema, { pattern: { case: 'get', value: EXPORTS } })],
  [RegistryService.method.addDataStreamExport, create(HttpRuleSchema, { pattern: { case: 'post', value: EXPORTS }, body: '*' })],
  [
    RegistryService.method.deleteDataStreamExport,
    create(HttpRuleSchema, { pattern: { case: 'delete', value: `${EXPORTS}/{data_stream_export_id}` } }),
  ],
];

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Route {
  httpMethod: HttpMethod;
  /** The template as the annotation writes it, e.g. `/iot-devices/v1/registries/{registry_id}`. */
  path: string;
  template: PathTemplate;
  /** `*`: the JSON body is the request message; empty: no body, other fields come from the query. */
  body: '*' | '';
  method: DescMethod;
  /** The gRPC path of the method the route calls, `/package.Service/Method`. */
  grpcPath: string;
}

/** Every annotated method of the REST services as a route; throws on an annotation the gateway cannot serve. */
export function deriveRoutes(): Route[] {
  return [
    ...REST_SERVICES.flatMap((service) =>
      service.methods.filter((method) => hasOption(method, http)).map((method) => routeOf(method, getOption(method, http))),
    ),
    ...IOTCORE_RULES.map(([method, rule]) => routeOf(method, rule)),
  ];
}

function routeOf(method: DescMethod, rule: HttpRule): Route {
  const where = `${method.parent.typeName}.${method.name}`;
  if (rule.pattern.case === undefined || rule.pattern.case === 'custom') throw new Error(`${where}: no GET/POST/PATCH/PUT/DELETE pattern`);
  if (rule.additionalBindings.length > 0 || rule.responseBody)
    throw new Error(`${where}: additional bindings and response_body are not supported`);
  if (rule.body !== '*' && rule.body !== '') throw new Error(`${where}: body "${rule.body}" is not supported (only "*" or none)`);
  if (method.methodKind !== 'unary') throw new Error(`${where}: only unary methods can be served over REST`);
  const template = parseTemplate(rule.pattern.value);
  for (const segment of template.segments) {
    if (!('variable' in segment)) continue;
    const field = method.input.fields.find((candidate) => candidate.name === segment.variable);
    if (field?.fieldKind !== 'scalar' || field.scalar !== ScalarType.STRING) {
      throw new Error(`${where}: path variable {${segment.variable}} is not a string field of ${method.input.typeName}`);
    }
  }
  return {
    httpMethod: rule.pattern.case.toUpperCase() as HttpMethod,
    path: rule.pattern.value,
    template,
    body: rule.body,
    method,
    grpcPath: `/${method.parent.typeName}/${method.name}`,
  };
}
