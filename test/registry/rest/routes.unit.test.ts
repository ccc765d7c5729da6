// The REST route table is the google.api.http annotations of our protos, nothing more or less: no
// route the protos do not declare, no annotated method without its route, in any generated service
// (test/proto/http-annotations.test.ts checks the annotations themselves against Yandex's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getOption, hasOption, type DescService } from '@bufbuild/protobuf';
import { http } from '../../../services/generated/google/api/annotations_pb.js';
import { deriveRoutes, REST_SERVICES } from '../../../services/registry/rest/routes.js';

const GENERATED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../services/generated');

function descriptorFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return descriptorFiles(full);
    return entry.endsWith('_pb.js') ? [full] : [];
  });
}

/** Every service of every generated descriptor file, REST or not. */
async function allServices(): Promise<DescService[]> {
  const modules = await Promise.all(descriptorFiles(GENERATED).map((file) => import(file) as Promise<Record<string, unknown>>));
  return modules.flatMap((module) =>
    Object.values(module).filter((value): value is DescService => (value as { kind?: string } | null)?.kind === 'service'),
  );
}

test('the route table equals the google.api.http annotations of every generated service', async () => {
  const services = await allServices();
  assert.ok(services.length >= 9, 'the Yandex services and iotcore.auth.v1 / migration.v1 / access.v1 are found');
  const annotated = services.flatMap((service) =>
    service.methods
      .filter((method) => hasOption(method, http))
      .map((method) => {
        const rule = getOption(method, http);
        return `${rule.pattern.case?.toUpperCase()} ${rule.pattern.value} body=${rule.body} → /${service.typeName}/${method.name}`;
      }),
  );
  const routes = deriveRoutes().map((route) => `${route.httpMethod} ${route.path} body=${route.body} → ${route.grpcPath}`);
  assert.deepEqual(routes.sort(), annotated.sort());
  assert.equal(
    new Set(routes).size,
    56,
    "Yandex's 46 of IoT Core, its endpoint discovery (2) and IAM token exchange, iotcore.access.v1's 3 and iotcore.triggers.v1's 4",
  );
});

test('the REST services serve every method over REST except the gRPC-only data-stream exports', () => {
  const routed = new Set(deriveRoutes().map((route) => route.grpcPath));
  const grpcOnly = REST_SERVICES.flatMap((service) => service.methods.map((method) => `/${service.typeName}/${method.name}`)).filter(
    (method) => !routed.has(method),
  );
  assert.deepEqual(grpcOnly, [
    '/yandex.cloud.iot.devices.v1.RegistryService/ListDataStreamExports',
    '/yandex.cloud.iot.devices.v1.RegistryService/AddDataStreamExport',
    '/yandex.cloud.iot.devices.v1.RegistryService/DeleteDataStreamExport',
  ]);
});

test('no two routes match the same request', () => {
  const routes = deriveRoutes();
  const keys = routes.map(
    (route) =>
      `${route.httpMethod} ${route.template.segments.map((segment) => ('literal' in segment ? segment.literal : '*')).join('/')}:${route.template.verb ?? ''}`,
  );
  assert.equal(new Set(keys).size, routes.length);
});
