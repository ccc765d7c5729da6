// Arbitrary request messages of any gRPC method, built from the .proto files themselves (the
// generated ts-proto code carries no schema at run time): every field of the right wire type, set
// or not, with values chosen by the caller per field name, encoded by @grpc/proto-loader (protobuf.js).
// Encoded by one implementation and decoded by the server's own (ts-proto), as over the wire.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadSync, type MethodDefinition, type PackageDefinition } from '@grpc/proto-loader';

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: EnumDescriptor[];
  options: { mapEntry?: boolean } | null;
}
interface EnumDescriptor {
  name: string;
  value: Array<{ number: number }>;
}

/** Values for string fields, by field name (`device_id`, `topic`, …). */
export type StringsFor = (field: string) => fc.Arbitrary<string>;

/** Nested messages deeper than this are left unset (google.rpc.Status nests Any, and so on). */
const MAX_DEPTH = 4;

const int32 = fc.oneof(fc.integer({ min: -2, max: 1001 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const int64 = fc.oneof(
  int32,
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom('9223372036854775807', '-9223372036854775808'),
);
const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  TYPE_BOOL: fc.boolean(),
  TYPE_INT32: int32,
  TYPE_SINT32: int32,
  TYPE_SFIXED32: int32,
  TYPE_UINT32: fc.nat(),
  TYPE_FIXED32: fc.nat(),
  TYPE_INT64: int64,
  TYPE_SINT64: int64,
  TYPE_SFIXED64: int64,
  TYPE_UINT64: int64,
  TYPE_FIXED64: int64,
  TYPE_DOUBLE: fc.double(),
  TYPE_FLOAT: fc.float(),
  TYPE_BYTES: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
};

export class ProtoRequests {
  readonly #definition: PackageDefinition;
  readonly #messages = new Map<string, MessageDescriptor>();
  readonly #enums = new Map<string, EnumDescriptor>();
  readonly #strings: StringsFor;
  readonly #built = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

  /** Loads every .proto under `protoRoot`. */
  constructor(protoRoot: string, strings: StringsFor) {
    this.#definition = loadSync(protoFiles(protoRoot), { includeDirs: [protoRoot], keepCase: true });
    this.#strings = strings;
    for (const [name, entry] of Object.entries(this.#definition)) {
      if (entry.format === 'Protocol Buffer 3 DescriptorProto') this.#addMessage(name, entry.type as MessageDescriptor);
      if (entry.format === 'Protocol Buffer 3 EnumDescriptorProto') this.#enums.set(name, entry.type as EnumDescriptor);
    }
  }

  /** The method served at `path` (`/yandex.cloud.iot.devices.v1.DeviceService/Get`), as protobuf.js sees it. */
  method(methodPath: string): MethodDefinition<object, object> {
    const [, service, name] = methodPath.split('/') as [string, string, string];
    const method = (this.#definition[service] as Record<string, MethodDefinition<object, object>> | undefined)?.[name];
    if (!method) throw new Error(`no ${methodPath} in the .proto files`);
    return method;
  }

  /** Encoded requests of the method at `path`, with any fields set to any values of their type. */
  encodedRequests(methodPath: string): fc.Arbitrary<Buffer> {
    const method = this.method(methodPath);
    const service = methodPath.split('/')[1]!;
    const fullName = this.#resolve(this.#messages, service, (method.requestType.type as MessageDescriptor).name);
    return this.#message(fullName, 0).map((request) => method.requestSerialize(request));
  }

  #addMessage(fullName: string, descriptor: MessageDescriptor): void {
    this.#messages.set(fullName, descriptor);
    for (const nested of descriptor.nestedType) this.#addMessage(`${fullName}.${nested.name}`, nested);
    for (const nested of descriptor.enumType) this.#enums.set(`${fullName}.${nested.name}`, nested);
  }

  #message(fullName: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const key = `${fullName}@${depth}`;
    let built = this.#built.get(key);
    if (!built) {
      const descriptor = this.#messages.get(fullName)!;
      const fields = Object.fromEntries(descriptor.field.map((field) => [field.name, this.#field(fullName, field, depth)]));
      built = fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
      this.#built.set(key, built);
    }
    return built;
  }

  #field(scope: string, field: FieldDescriptor, depth: number): fc.Arbitrary<unknown> {
    if (field.type === 'TYPE_STRING') return this.#repeated(field, this.#strings(field.name));
    if (field.type === 'TYPE_ENUM') {
      const values = this.#enums.get(this.#resolve(this.#enums, scope, field.typeName))!.value.map((value) => value.number);
      return this.#repeated(field, fc.oneof(fc.constantFrom(...values), fc.integer({ min: -3, max: 99 })));
    }
    if (field.type !== 'TYPE_MESSAGE') return this.#repeated(field, SCALARS[field.type]!);
    const fullName = this.#resolve(this.#messages, scope, field.typeName);
    const type = this.#messages.get(fullName)!;
    if (type.options?.mapEntry) {
      const [key, value] = type.field as [FieldDescriptor, FieldDescriptor];
      return fc.dictionary(
        this.#strings(`${field.name}.${key.name}`),
        this.#field(scope, { ...value, name: `${field.name}.${value.name}`, label: 'LABEL_OPTIONAL' }, depth),
        { maxKeys: 6 },
      );
    }
    if (depth >= MAX_DEPTH) return fc.constant(undefined);
    return this.#repeated(field, this.#message(fullName, depth + 1));
  }

  #repeated(field: FieldDescriptor, value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
    return field.label === 'LABEL_REPEATED' ? fc.array(value, { maxLength: 3 }) : value;
  }

  /** The full name of a type as protobuf resolves it: from the innermost enclosing scope outwards. */
  #resolve(table: Map<string, unknown>, scope: string, typeName: string): string {
    if (typeName.startsWith('.')) return typeName.slice(1);
    for (let prefix = scope; ; prefix = prefix.slice(0, Math.max(prefix.lastIndexOf('.'), 0))) {
      const candidate = prefix ? `${prefix}.${typeName}` : typeName;
      if (table.has(candidate)) return candidate;
      if (!prefix) throw new Error(`cannot resolve ${typeName} from ${scope}`);
    }
  }
}

function protoFiles(root: string, dir = ''): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return protoFiles(root, relative);
    return entry.name.endsWith('.proto') ? [relative] : [];
  });
}
