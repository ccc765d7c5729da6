// HTTP request parts → request message, and response message → JSON, in the proto3 JSON mapping
// Yandex's REST API used (camelCase names, int64 as strings, bytes as base64, FieldMask as a comma
// list, Timestamp as RFC 3339, Any with "@type"). The mapping itself is @bufbuild/protobuf's, read
// from our protos' descriptors; this file only applies google.api.http's rules of where each field
// comes from: the path variables, then the JSON body (`body: "*"`) or else the query string.
import {
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Registry,
} from '@bufbuild/protobuf';
import type { Route } from './routes.js';

/** The request cannot be mapped onto its message: answered INVALID_ARGUMENT with this message. */
export class RequestMappingError extends Error {}

export interface HttpRequestParts {
  /** Path variables, already percent-decoded. */
  variables: Record<string, string>;
  query: URLSearchParams;
  /** The raw request body (read only by `body: "*"` routes). */
  body: string;
}

/** The request message of `route` in the binary encoding the gRPC handlers decode. */
export function requestBytes(route: Route, parts: HttpRequestParts, registry: Registry): Uint8Array {
  const schema = route.method.input;
  const json = route.body === '*' ? bodyObject(parts.body) : queryObject(schema, parts.query);
  for (const [name, value] of Object.entries(parts.variables)) {
    // A path variable wins over the same field in the body, under either of its names.
    const field = schema.fields.find((candidate) => candidate.name === name)!;
    delete json[field.name];
    json[field.jsonName] = value;
  }
  try {
    return toBinary(schema, fromJson(schema, json, { registry }));
  } catch (error) {
    throw new RequestMappingError((error as Error).message);
  }
}

/** A response message (binary, as the gRPC handlers encode it) as proto3 JSON. */
export function responseJson(schema: DescMessage, bytes: Uint8Array, registry: Registry): JsonValue {
  return toJson(schema, fromBinary(schema, bytes), { registry });
}

function bodyObject(body: string): JsonObject {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new RequestMappingError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestMappingError('the request body must be a JSON object');
  }
  return parsed as JsonObject;
}

/**
 * Query parameters name top-level fields of the request by proto or JSON name (`page_size` or
 * `pageSize`), once each. Yandex's GET requests have only string, int64 and enum fields, which
 * proto3 JSON reads from the string as given, but for an enum given by number (`deviceView=1`).
 * Other parameters are ignored, as grpc-gateway ignores them (a browser's cache-buster `_=…`).
 */
function queryObject(schema: DescMessage, query: URLSearchParams): JsonObject {
  const json: JsonObject = {};
  for (const key of new Set(query.keys())) {
    const field = schema.fields.find((candidate) => candidate.name === key || candidate.jsonName === key);
    if (!field) continue;
    const [value, ...more] = query.getAll(key) as [string, ...string[]];
    if (more.length > 0) throw new RequestMappingError(`query parameter "${key}" is given more than once`);
    json[field.jsonName] = field.fieldKind === 'enum' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return json;
}
