// gRPC health (grpc.health.v1, used by Kubernetes probes) and server reflection (grpcurl).
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server, ServiceDefinition, UntypedHandleCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../proto');

export function addIntrospection(server: Server, serviceNames: string[]): HealthImplementation {
  const health = new HealthImplementation(Object.fromEntries(['', ...serviceNames].map((name) => [name, 'SERVING' as const])));
  health.addToServer(server);
  addReflectionOnFirstUse(server);
  return health;
}

type Handler = (...args: unknown[]) => void;

/**
 * Server reflection, built when a client first asks (grpcurl, Postman): reading every .proto of the
 * API and indexing it took 0.7 s of CPU, which every start of a registry paid. The services are
 * added at start as the library defines them (a server takes none once started); each call goes to
 * the handler of the same method of the reflection built from the protos.
 */
function addReflectionOnFirstUse(server: Server): void {
  let built: Map<string, Handler> | undefined;
  const handlerOf = (methodPath: string): Handler => {
    if (!built) {
      const handlers = new Map<string, Handler>();
      new ReflectionService(loadSync(protoFiles(PROTO_ROOT), { includeDirs: [PROTO_ROOT] })).addToServer({
        addService: (service, implementation) => {
          for (const [name, method] of Object.entries(service)) handlers.set(method.path, implementation[name] as Handler);
        },
      });
      built = handlers;
    }
    const handler = built.get(methodPath);
    if (!handler) throw new Error(`no reflection handler for ${methodPath}`);
    return handler;
  };
  // Reflection of nothing: only the services' definitions are wanted from it.
  new ReflectionService({}).addToServer({
    addService: (service: ServiceDefinition) =>
      server.addService(
        service,
        Object.fromEntries(
          Object.entries(service).map(([name, method]): [string, UntypedHandleCall] => [
            name,
            ((...args: unknown[]) => handlerOf(method.path)(...args)) as UntypedHandleCall,
          ]),
        ),
      ),
  });
}

function protoFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const relative = path.join(prefix, entry);
    if (statSync(path.join(dir, entry)).isDirectory()) return protoFiles(path.join(dir, entry), relative);
    return entry.endsWith('.proto') ? [relative] : [];
  });
}
