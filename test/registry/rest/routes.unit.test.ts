// The REST route table is the google.api.http annotations of our protos, plus iotcore's three routes
// for the data-stream-export methods Yandex served over gRPC only (under /iotcore-devices/): no other
// route, no annotated method without its route, in any generated service
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
  const exports = '/iotcore-devices/v1/registries/{registry_id}/dataStreamExports';
  const iotcoreRoutes = [
    `GET ${exports} body= → /yandex.cloud.iot.devices.v1.RegistryService/ListDataStreamExports`,
    `POST ${exports} body=* → /yandex.cloud.iot.devices.v1.RegistryService/AddDataStreamExport`,
    `DELETE ${exports}/{data_stream_export_id} body= → /yandex.cloud.iot.devices.v1.RegistryService/DeleteDataStreamExport`,
  ];
  const routes = deriveRoutes().map((route) => `${route.httpMethod} ${route.path} body=${route.body} → ${route.grpcPath}`);
  assert.deepEqual(routes.sort(), [...annotated, ...iotcoreRoutes].sort());
  assert.equal(
    new Set(routes).size,
    63,
    "Yandex's 46 of IoT Core, its endpoint discovery (2) and IAM token exchange, iotcore.access.v1's 3, iotcore.logs.v1's 1, iotcore.console.v1's 3, the 3 export routes and iotcore.triggers.v1's 4",
  );
});

test('the REST services serve every method over REST', () => {
  const routed = new Set(deriveRoutes().map((route) => route.grpcPath));
  const grpcOnly = REST_SERVICES.flatMap((service) => service.methods.map((method) => `/${service.typeName}/${method.name}`)).filter(
    (method) => !routed.has(method),
  );
  assert.deepEqual(grpcOnly, []);
});

test('no two routes match the same request', () => {
  const routes = deriveRoutes();
  const keys = routes.map(
    (route) =>
      `${route.httpMethod} ${route.template.segments.map((segment) => ('literal' in segment ? segment.literal : '*')).join('/')}:${route.template.verb ?? ''}`,
  );
  assert.equal(new Set(keys).size, routes.length);
});
