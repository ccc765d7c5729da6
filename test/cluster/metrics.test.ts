// Metrics of the separate processes of a cluster after real traffic: the edge times its calls to
// the registry service, Redis and MongoDB and counts permanent topics in MongoDB; the registry
// counts its gRPC calls by method and status code. Both scrapes pass `promtool check metrics`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { startCluster } from './harness.js';
import { scrape, total, promtoolProblems, type Sample } from '../support/prometheus-text.js';

const REGISTRY_PASSWORD = 'Metrics-Registry-Pass1';
const DEVICE_PASSWORD = 'Metrics-Device-Pass1!';

test('cluster processes expose dependency, permanent-topic and gRPC server metrics', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ edges: 1 });
  t.after(() => cluster.close());
  const edgeUrl = `http://127.0.0.1:${cluster.edges[0]!.httpPort}/metrics`;
  const registryUrl = `http://127.0.0.1:${cluster.registry.httpPort}/metrics`;
  const R = await cluster.api.createRegistry('metrics', REGISTRY_PASSWORD);
  const D = await cluster.api.createDevice(R, 'sensor', DEVICE_PASSWORD);
  const invalid = await cluster.api.registries.get({ registry_id: 'not an id!' }).then(
    () => undefined,
    (error: ServiceError) => error.code,
  );
  assert.equal(invalid, status.INVALID_ARGUMENT);
  const [edgeBefore, registryBefore] = [await scrape(edgeUrl), await scrape(registryUrl)];
  const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string>) =>
    total(after, name, labels) - total(before, name, labels);

  const registry = await cluster.connect(0, { username: R, password: REGISTRY_PASSWORD, clientId: 'backend' });
  await registry.subscribeAsync(`$devices/${D}/events`, { qos: 1 });
  const device = await cluster.connect(0, { username: D, password: DEVICE_PASSWORD, clientId: 'sensor' });
  await assert.rejects(cluster.connect(0, { username: D, password: 'Wrong-Passw0rd-123', clientId: 'intruder' }));
  let received = 0;
  registry.on('message', () => received++);
  for (let i = 0; i < 5; i++) await device.publishAsync(`$devices/${D}/events`, `event ${i}`, { qos: 1 });
  await device.publishAsync(`$devices/${D}/state`, 'on', { qos: 1 });
  while (received < 5) await new Promise((resolve) => setTimeout(resolve, 20));

  const [edge, registryAfter] = [await scrape(edgeUrl), await scrape(registryUrl)];
  const calls = (dependency: string, operation?: string) =>
    delta(edgeBefore, edge, 'iotcore_dependency_call_duration_seconds_count', { dependency, ...(operation ? { operation } : {}) });
  assert.equal(calls('registry', 'Authenticate'), 3, 'two accepted and one refused CONNECT, each asked the registry once');
  if (cluster.bus === 'channels')
    assert.ok(calls('redis', 'publish') >= 6, `six messages went over the Redis bus (saw ${calls('redis', 'publish')})`);
  // The route bus delivers the six on the edge itself (publisher and subscriber share it); what it
  // sends to other inboxes (aedes' own $SYS messages, to the registry replica's MQTT node) is timed.
  else assert.ok(calls('redis', 'xadd') >= 1, `the route bus's sends are timed (saw ${calls('redis', 'xadd')})`);
  assert.ok(calls('mongo') > 0, 'MQTT state was written to MongoDB');
  assert.equal(total(edge, 'iotcore_dependency_errors_total'), 0);
  assert.equal(total(edge, 'iotcore_permanent_topics'), 1, 'the state value is stored');

  const handled = (method: string, code: string) =>
    total(registryAfter, 'grpc_server_handled_total', { grpc_method: method, grpc_code: code });
  assert.equal(
    delta(registryBefore, registryAfter, 'grpc_server_handled_total', {
      grpc_service: 'iotcore.auth.v1.EdgeAuthService',
      grpc_method: 'Authenticate',
      grpc_code: 'OK',
    }),
    3,
  );
  assert.equal(handled('Create', 'OK'), 2, 'one registry and one device created');
  assert.equal(handled('Get', 'INVALID_ARGUMENT'), 1);
  assert.ok(total(registryAfter, 'grpc_server_handling_seconds_count', { grpc_method: 'Create' }) === 2);
  assert.ok(
    total(registryAfter, 'grpc_server_started_total', { grpc_method: 'WatchRevocations', grpc_type: 'server_stream' }) >= 1,
    'the edge watches revocations',
  );

  for (const url of [edgeUrl, registryUrl]) {
    const text = await (await fetch(url)).text();
    const problems = promtoolProblems(text, ['iotcore_', 'grpc_']);
    if (problems === undefined) {
      t.diagnostic('promtool not installed: metric names not linted');
      continue;
    }
    assert.deepEqual(problems, [], `promtool check metrics on ${url}`);
  }
  await Promise.all([registry.endAsync(), device.endAsync()]);
});
