// Every request of the registry's gRPC services (devices.v1 Registry/Device/DeviceData/RegistryData,
// broker.v1 Broker/BrokerData, operation, iotcore import and edge auth) as arbitrary bytes, as
// arbitrary field values, or as field values with damaged bytes; decoded by the server's own
// deserializer and handed to its handler in-process (the embedded LevelDB store in a temporary
// directory, an in-process edge behind the data services). Every call must end, within a bounded
// time, in a response the server can encode or a well-formed API error — never INTERNAL.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pino } from 'pino';
import { Metadata, status, type MethodDefinition, type UntypedHandleCall } from '@grpc/grpc-js';
import { openStore } from '../../../services/registry/store/open.js';
import { registryServices } from '../../../services/registry/server.js';
import { openEmbeddedLogStore } from '../../../services/registry/logs/embedded-log-store.js';
import { inProcessLink } from '../../../services/registry/edge-link.js';
import { startEdge } from '../../../services/edge/edge.js';
import { MAX_PAYLOAD_BYTES } from '../../../services/contracts/limits.js';
import { makeCertificate } from '../../support/certificates.js';
import type { FuzzTarget } from '../target.js';
import { ProtoRequests } from '../support/proto-inputs.js';
import { stringsFor } from '../support/api-values.js';
import { fixtures } from '../support/api-fixtures.js';

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../proto');
const TOKEN = 'fuzz-admin-token';
/** A call not answered by then hangs. */
const CALL_MS = 5000;
/** Read-only methods cannot have changed the fixtures. */
const READ_ONLY = /\/(Get|List|Lookup|Authenticate|CheckSessions|WatchRevocations)/;

interface Method {
  definition: MethodDefinition<unknown, unknown>;
  handler: UntypedHandleCall;
}

interface Input {
  method: string;
  /** How the bytes were made: random, a well-formed encoding, or one damaged afterwards. */
  made: 'random' | 'fields' | 'damaged';
  bytes: Uint8Array;
}

async function start() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-fuzz-api-'));
  const store = await openStore({ dataDir, mongoDb: 'unused' });
  const logger = pino({ level: 'silent' });
  const logStore = await openEmbeddedLogStore(path.join(dataDir, 'logs'));
  const registry = registryServices({
    store,
    logStore,
    adminTokens: [TOKEN],
    idPrefix: 'are',
    quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
    logger,
    // Built and serialized for every call, as the process log would, then dropped.
    audit: (event) => void JSON.stringify(event),
  });
  const edge = await startEdge({
    link: inProcessLink(registry.ctx, registry.authenticator, logStore),
    logger,
    maxMessageBytes: MAX_PAYLOAD_BYTES,
  });
  registry.attachDataPlane(edge.dataPlane);
  const certificates = [makeCertificate('fuzz-a'), makeCertificate('fuzz-b')];
  const restore = await fixtures(registry.ctx, certificates[0]!);

  const methods = new Map<string, Method>(
    registry.services.flatMap(({ definition, implementation }) =>
      Object.entries(definition).map(([name, method]): [string, Method] => [
        method.path,
        { definition: method, handler: implementation[name]! },
      ]),
    ),
  );
  const proto = new ProtoRequests(PROTO_ROOT, stringsFor(certificates));
  const encodings = new Map([...methods.keys()].map((method) => [method, proto.encodedRequests(method)]));
  const inputs = fc.constantFrom(...methods.keys()).chain((method) => {
    const fields = encodings.get(method)!;
    return fc.oneof(
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes): Input => ({ method, made: 'random', bytes })) },
      { weight: 4, arbitrary: fields.map((bytes): Input => ({ method, made: 'fields', bytes })) },
      {
        weight: 1,
        arbitrary: fc.tuple(fields, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()).map(([bytes, at, xor, cut]): Input => {
          const damaged = Buffer.from(bytes);
          if (damaged.length > 0) damaged[at % damaged.length]! ^= xor;
          return { method, made: 'damaged', bytes: cut ? damaged.subarray(0, at % (damaged.length + 1)) : damaged };
        }),
      },
    );
  });

  return {
    inputs,
    async check({ method, made, bytes }: Input) {
      const { definition, handler } = methods.get(method)!;
      // The server's deserializer: what does not decode reaches the handler too (request-decoding.ts).
      const request = definition.requestDeserialize(Buffer.from(bytes));
      const name = `${method} (${made})`;
      await (definition.responseStream ? watch(definition, handler, request, name) : unaryCall(definition, handler, request, name));
      if (!READ_ONLY.test(method)) await restore();
    },
    async close() {
      await edge.close();
      registry.close();
      await store.close();
      await logStore.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function adminMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${TOKEN}`);
  return metadata;
}

/** A unary call as grpc-js makes it: the response must encode, an error must be an API error. */
async function unaryCall(
  definition: MethodDefinition<unknown, unknown>,
  handler: UntypedHandleCall,
  request: unknown,
  method: string,
): Promise<void> {
  const outcome = await new Promise<{ error: { code?: number; details?: string } | null; response: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method}: no answer within ${CALL_MS} ms`)), CALL_MS);
    (handler as (call: unknown, callback: (error: unknown, response?: unknown) => void) => void)(
      { request, metadata: adminMetadata() },
      (error, response) => {
        clearTimeout(timer);
        resolve({ error: error as { code?: number; details?: string } | null, response });
      },
    );
  });
  if (outcome.error) return assertApiError(outcome.error, method);
  assert.ok(definition.responseSerialize(outcome.response).length >= 0, `${method}: response does not encode`);
}

/** WatchRevocations: whatever it writes must encode; it ends (or is cancelled) without throwing. */
async function watch(
  definition: MethodDefinition<unknown, unknown>,
  handler: UntypedHandleCall,
  request: unknown,
  method: string,
): Promise<void> {
  const call = Object.assign(new EventEmitter(), {
    request,
    metadata: adminMetadata(),
    write: (message: unknown) => definition.responseSerialize(message).length >= 0,
    end: () => undefined,
    destroy: (error: { code?: number; details?: string }) => assertApiError(error, method),
  });
  (handler as (call: unknown) => void)(call);
  await new Promise((resolve) => setImmediate(resolve));
  call.emit('cancelled');
  call.emit('close');
}

/** A status the client can act on, with a message; INTERNAL and UNKNOWN mean an unexpected exception. */
function assertApiError(error: { code?: number; details?: string }, method: string): void {
  const code = error.code ?? status.UNKNOWN;
  assert.ok(code !== status.INTERNAL && code !== status.UNKNOWN && code !== status.OK, `${method}: ${status[code]} (${error.details})`);
  assert.ok(typeof error.details === 'string' && error.details.length > 0, `${method}: ${status[code]} without a message`);
}

export const apiRequestsTarget: FuzzTarget<Input> = {
  name: 'api-requests',
  summary: 'every gRPC request (management, data, import, edge auth) as random bytes or arbitrary fields, handled in-process',
  start,
};
