// gRPC health (grpc.health.v1, used by Kubernetes probes) and server reflection (grpcurl).
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../proto');

export function addIntrospection(server: Server, serviceNames: string[]): HealthImplementation {
  const health = new HealthImplementation(Object.fromEntries(['', ...serviceNames].map((name) => [name, 'SERVING' as const])));
  health.addToServer(server);
  const definition = loadSync(protoFiles(PROTO_ROOT), { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definition).addToServer(server);
  return health;
}

function protoFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const relative = path.join(prefix, entry);
    if (statSync(path.join(dir, entry)).isDirectory()) return protoFiles(path.join(dir, entry), relative);
    return entry.endsWith('.proto') ? [relative] : [];
  });
}
