// Our protos' `(google.api.http)` annotations against Yandex's: the HTTP rule of every method of the
// seven services, as Yandex's own generated code carries it (the descriptors compiled into
// github.com/yandex-cloud/go-genproto, printed by test/tools/yandex-http-rules with Go). The REST
// routes are derived from these annotations (services/registry/rest/routes.ts), so this is the
// test that the gateway serves Yandex's paths, verbs and bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { getOption, hasOption, toJson, type DescService } from '@bufbuild/protobuf';
import { http } from '../../services/generated/google/api/annotations_pb.js';
import { HttpRuleSchema } from '../../services/generated/google/api/http_pb.js';
import { RegistryService } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_service_pb.js';
import { DeviceService } from '../../services/generated/yandex/cloud/iot/devices/v1/device_service_pb.js';
import { DeviceDataService } from '../../services/generated/yandex/cloud/iot/devices/v1/device_data_service_pb.js';
import { RegistryDataService } from '../../services/generated/yandex/cloud/iot/devices/v1/registry_data_service_pb.js';
import { BrokerService } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_service_pb.js';
import { BrokerDataService } from '../../services/generated/yandex/cloud/iot/broker/v1/broker_data_service_pb.js';
import { OperationService } from '../../services/generated/yandex/cloud/operation/operation_service_pb.js';
import { REPO_ROOT } from '../support/tools.js';

const run = promisify(execFile);
const YANDEX_RULES_TOOL = path.join(REPO_ROOT, 'test/tools/yandex-http-rules');
const OUR_SERVICES: DescService[] = [
  RegistryService,
  DeviceService,
  DeviceDataService,
  RegistryDataService,
  BrokerService,
  BrokerDataService,
  OperationService,
];

async function yandexRules(): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run('go', ['run', '.'], { cwd: YANDEX_RULES_TOOL, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Go (≥ 1.24, with the Go module proxy) is needed to read Yandex's HTTP rules: ${(error as Error).message}`);
  }
}

function ourRules(): Record<string, unknown> {
  return Object.fromEntries(
    OUR_SERVICES.flatMap((service) =>
      service.methods.map((method) => [
        `${service.typeName}.${method.name}`,
        hasOption(method, http) ? toJson(HttpRuleSchema, getOption(method, http)) : null,
      ]),
    ),
  );
}

test("every method has Yandex's google.api.http rule (verb, path template, body), and only the methods Yandex annotates have one", async () => {
  const theirs = await yandexRules();
  const ours = ourRules();
  assert.deepEqual(ours, theirs);
  const annotated = Object.values(ours).filter((rule) => rule !== null).length;
  assert.equal(annotated, 46, '46 REST routes: every method but the three data-stream-export ones');
});
