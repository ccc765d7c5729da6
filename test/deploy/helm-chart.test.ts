// Validates the Helm chart helm/iotcore offline: `helm lint`, `helm template` piped through
// `kubeconform -strict` against the Kubernetes schemas of the oldest and newest supported versions
// (plus committed CRD schemas), the rendered objects' key properties, and values.schema.json.
// Tools are built/downloaded into .tools/ on first use by chart-tools.ts (a few minutes once).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  CHART_DIR,
  KUBERNETES_VERSIONS,
  REPO_ROOT,
  ensureChartTools,
  helmEnv,
  run,
  schemaLocationArgs,
  type RunResult,
} from './chart-tools.js';

const ALL_FEATURES_VALUES = path.join(REPO_ROOT, 'test/deploy/all-features.values.yaml');
const RELEASE = 'iot';
const NAMESPACE = 'iotcore';
const NEWEST_KUBERNETES = KUBERNETES_VERSIONS.at(-1)!;

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects of every kind, read field by field
type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: any };

let helm = '';
let kubeconform = '';
let schemaDir = '';

before(
  async () => {
    ({ helm, kubeconform, schemaDir } = await ensureChartTools());
  },
  { timeout: 20 * 60_000 },
);

function helmRun(args: string[]): Promise<RunResult> {
  return run(helm, args, { env: helmEnv() });
}

function describeFailure(result: RunResult): string {
  return `exit ${result.code}\nstdout:\n${result.stdout.slice(0, 4000)}\nstderr:\n${result.stderr.slice(0, 4000)}`;
}

async function template(valueArgs: string[], kubeVersion: string = NEWEST_KUBERNETES, chart = CHART_DIR): Promise<string> {
  const result = await helmRun(['template', RELEASE, chart, '--namespace', NAMESPACE, '--kube-version', kubeVersion, ...valueArgs]);
  assert.equal(result.code, 0, `helm template ${valueArgs.join(' ')} failed: ${describeFailure(result)}`);
  return result.stdout;
}

function parseManifests(rendered: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const document of parseAllDocuments(rendered)) {
    assert.equal(document.errors.length, 0, `YAML error: ${document.errors.join('; ')}`);
    const value = document.toJS() as Manifest | null;
    if (value) manifests.push(value);
  }
  return manifests;
}

function countKinds(manifests: Manifest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const manifest of manifests) counts[manifest.kind] = (counts[manifest.kind] ?? 0) + 1;
  return counts;
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  assert.ok(found, `${kind} ${name} not rendered (have: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')})`);
  return found;
}

async function kubeconformCheck(rendered: string, kubeVersion: string): Promise<string> {
  const result = await run(
    kubeconform,
    ['-strict', '-summary', '-output', 'text', '-kubernetes-version', kubeVersion, ...schemaLocationArgs(schemaDir), '-'],
    { input: rendered },
  );
  assert.equal(result.code, 0, `kubeconform (Kubernetes ${kubeVersion}) rejected the manifests: ${describeFailure(result)}`);
  const summary = result.stdout.split('\n').find((line) => line.startsWith('Summary:'));
  assert.ok(summary, `no kubeconform summary in ${result.stdout}`);
  assert.match(summary, /Invalid: 0, Errors: 0, Skipped: 0$/);
  return summary;
}

interface Scenario {
  name: string;
  args: string[];
  kinds: Record<string, number>;
}

const BASE_KINDS = { Deployment: 2, Secret: 1, ServiceAccount: 1, PodDisruptionBudget: 2, HorizontalPodAutoscaler: 1 };
const SCENARIOS: Scenario[] = [
  {
    name: 'default values',
    args: [],
    // Secret: the tokens and the management API's generated certificate
    kinds: { ...BASE_KINDS, Secret: 2, Service: 5, StatefulSet: 2 },
  },
  {
    name: 'all features',
    args: ['-f', ALL_FEATURES_VALUES],
    kinds: {
      ...BASE_KINDS,
      Secret: 2,
      Service: 5,
      StatefulSet: 2,
      Certificate: 1,
      NetworkPolicy: 4,
      ServiceMonitor: 1,
      PrometheusRule: 1,
    },
  },
  {
    name: 'external data stores, existing secrets, NodePort, no HPA',
    args: [
      '--set',
      'mongo.bundled.enabled=false',
      '--set',
      'mongo.url=mongodb://mongo-0.db:27017/?replicaSet=rs0',
      '--set',
      'redis.bundled.enabled=false',
      '--set',
      'redis.existingSecret=redis-credentials',
      '--set',
      'auth.existingSecret=iotcore-tokens',
      '--set',
      'tls.secretName=mqtt-example-com',
      '--set',
      'edge.service.type=NodePort',
      '--set',
      'edge.service.nodePorts.mqtts=30883',
      '--set',
      'edge.autoscaling.enabled=false',
      '--set',
      'edge.replicas=4',
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'registry.apiTls.mode=secret',
      '--set',
      'registry.apiTls.secretName=iotcore-api-example-com',
    ],
    // Secret: only the data store URL secret (tokens come from auth.existingSecret)
    kinds: { Deployment: 2, Secret: 1, ServiceAccount: 1, PodDisruptionBudget: 2, Service: 3, NetworkPolicy: 2 },
  },
];

describe('helm lint', () => {
  for (const scenario of SCENARIOS.slice(0, 2)) {
    test(`passes with ${scenario.name}`, async () => {
      const result = await helmRun(['lint', CHART_DIR, '--strict', '--kube-version', NEWEST_KUBERNETES, ...scenario.args]);
      assert.equal(result.code, 0, describeFailure(result));
      assert.doesNotMatch(result.stdout + result.stderr, /\[ERROR\]/);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('helm template | kubeconform -strict', () => {
  for (const scenario of SCENARIOS) {
    for (const kubeVersion of KUBERNETES_VERSIONS) {
      test(`${scenario.name} is valid for Kubernetes ${kubeVersion}`, async () => {
        const rendered = await template(scenario.args, kubeVersion);
        const kinds = countKinds(parseManifests(rendered));
        assert.deepEqual(kinds, scenario.kinds);
        const summary = await kubeconformCheck(rendered, kubeVersion);
        const total = Object.values(scenario.kinds).reduce((sum, n) => sum + n, 0);
        assert.match(summary, new RegExp(`^Summary: ${total} resources found parsing stdin - Valid: ${total},`));
        console.log(`${scenario.name} @ ${kubeVersion}: ${summary}`);
      });
    }
  }
});

describe('rendered objects (all features)', () => {
  let manifests: Manifest[] = [];
  const full = `${RELEASE}-iotcore`;
  before(async () => {
    manifests = parseManifests(await template(['-f', ALL_FEATURES_VALUES]));
  });

  /** A container's environment by variable name (a Manifest: every field may be read). */
  const env = (container: Manifest): Manifest =>
    Object.fromEntries((container.env as Manifest[]).map((entry) => [entry.name, entry])) as Manifest;

  test('edge Deployment: probes, drain, security, volumes, TLS', () => {
    const deployment = find(manifests, 'Deployment', `${full}-edge`);
    assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
    const pod = deployment.spec.template.spec;
    const container = (pod.containers as Manifest[])[0]!;
    const vars = env(container);
    assert.equal(vars.IOTCORE_ROLE.value, 'edge');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.lifecycle.preStop.sleep.seconds, 5);
    const deadline = Number(vars.IOTCORE_DRAIN_DEADLINE_SECONDS.value);
    assert.equal(Number(vars.IOTCORE_DRAIN_SECONDS.value), 20);
    assert.ok(pod.terminationGracePeriodSeconds > deadline + container.lifecycle.preStop.sleep.seconds);
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.runAsUser, 10001);
    assert.ok(container.resources.requests.cpu);
    const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    assert.equal(anti.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    // the data dir is a writable emptyDir
    const dataMount = (container.volumeMounts as Manifest[]).find((mount) => mount.mountPath === vars.IOTCORE_DATA_DIR.value);
    assert.ok(dataMount, 'IOTCORE_DATA_DIR is mounted');
    const volumes = Object.fromEntries((pod.volumes as Manifest[]).map((volume) => [volume.name, volume]));
    assert.ok(volumes[dataMount.name].emptyDir);
    // the MQTT certificate comes from the Secret cert-manager writes
    const certificate = find(manifests, 'Certificate', `${full}-mqtt`);
    assert.equal(volumes.tls.secret.secretName, certificate.spec.secretName);
    assert.deepEqual(certificate.spec.dnsNames, ['mqtt.iot.example.com', 'mqtt-alt.iot.example.com']);
    assert.equal(certificate.spec.issuerRef.name, 'letsencrypt-prod');
    const tlsMount = (container.volumeMounts as Manifest[]).find((mount) => mount.name === 'tls');
    assert.ok(tlsMount);
    assert.equal(vars.IOTCORE_TLS_CERT.value, `${tlsMount.mountPath}/tls.crt`);
    assert.equal(vars.IOTCORE_TLS_KEY.value, `${tlsMount.mountPath}/tls.key`);
    assert.equal(vars.IOTCORE_MQTT_LISTEN.value, '0.0.0.0:8883');
    assert.equal(vars.IOTCORE_MQTT_TCP_LISTEN.value, '0.0.0.0:1883');
    assert.equal(vars.IOTCORE_MQTT_WSS_LISTEN.value, '0.0.0.0:8884');
    assert.equal(vars.IOTCORE_MQTT_WSS_CLIENT_CERTIFICATES.value, 'off', "browsers' WebSocket: no client certificate asked for");
    assert.equal(vars.IOTCORE_REDIS_URL.value, `redis://${full}-redis:6379`);
    assert.match(vars.IOTCORE_MONGO_URL.value, new RegExp(`^mongodb://${full}-mongo:27017`));
    assert.equal(vars.IOTCORE_REGISTRY_ENDPOINT.value, `${full}-registry.${NAMESPACE}.svc:50051`);
  });

  test('edges authenticate with a token the registry accepts', () => {
    const edge = env(find(manifests, 'Deployment', `${full}-edge`).spec.template.spec.containers[0]);
    const registry = env(find(manifests, 'Deployment', `${full}-registry`).spec.template.spec.containers[0]);
    assert.equal(registry.IOTCORE_ROLE.value, 'registry');
    assert.equal(registry.IOTCORE_CONSOLE_MQTT_URL.value, 'wss://mqtt.iot.example.com:8884', "the console's live view address");
    const edgeToken = edge.IOTCORE_REGISTRY_TOKEN.valueFrom.secretKeyRef;
    const referenced = (registry.IOTCORE_ADMIN_TOKENS.value as string).match(/\$\(([A-Z_]+)\)/g) ?? [];
    const sources = referenced.map((ref) => registry[ref.slice(2, -1)].valueFrom.secretKeyRef);
    assert.ok(sources.some((source) => source.name === edgeToken.name && source.key === edgeToken.key));
    const secret = find(manifests, 'Secret', edgeToken.name);
    assert.equal(Buffer.from(secret.data[edgeToken.key], 'base64').toString(), 'test-edge-token');
  });

  test('edges and registry replicas export to Kafka: brokers, SASL password from its Secret, the CA mounted', () => {
    for (const component of ['edge', 'registry']) {
      const pod = find(manifests, 'Deployment', `${full}-${component}`).spec.template.spec;
      const container = (pod.containers as Manifest[])[0]!;
      const vars = env(container);
      assert.equal(vars.IOTCORE_KAFKA_BROKERS.value, 'kafka-0.kafka:9093,kafka-1.kafka:9093');
      assert.equal(vars.IOTCORE_KAFKA_SECURITY.value, 'SASL_SSL');
      assert.equal(vars.IOTCORE_KAFKA_SASL_MECHANISM.value, 'SCRAM-SHA-512');
      assert.deepEqual(vars.IOTCORE_KAFKA_SASL_PASSWORD.valueFrom.secretKeyRef, { name: 'kafka-credentials', key: 'kafka-sasl-password' });
      assert.equal(vars.IOTCORE_EXPORT_BACKLOG_RECORDS.value, '100000');
      const mount = (container.volumeMounts as Manifest[]).find((candidate) => candidate.name === 'kafka-ca');
      assert.equal(vars.IOTCORE_KAFKA_TLS_CA.value, `${mount?.mountPath}/ca.crt`);
      const volume = (pod.volumes as Manifest[]).find((candidate) => candidate.name === 'kafka-ca');
      assert.equal(volume?.secret.secretName, 'kafka-ca');
    }
  });

  test('edges and registry replicas get the trigger settings', () => {
    for (const component of ['edge', 'registry']) {
      const vars = env((find(manifests, 'Deployment', `${full}-${component}`).spec.template.spec.containers as Manifest[])[0]!);
      assert.equal(vars.IOTCORE_TRIGGER_BACKLOG_MESSAGES.value, '5000');
      assert.equal(vars.IOTCORE_TRIGGER_REQUEST_TIMEOUT_MS.value, '2000');
      assert.equal(vars.IOTCORE_TRIGGER_CLAIM_IDLE_MS.value, '10000');
    }
  });

  test('the management API is TLS: the registry serves the generated certificate, the edges trust its CA', () => {
    const registryPod = find(manifests, 'Deployment', `${full}-registry`).spec.template.spec;
    const edgePod = find(manifests, 'Deployment', `${full}-edge`).spec.template.spec;
    const [registry, edge] = [registryPod.containers[0] as Manifest, edgePod.containers[0] as Manifest];
    const mounted = (pod: Manifest, container: Manifest, file: string) => {
      const mount = (container.volumeMounts as Manifest[]).find((entry) => file.startsWith(`${entry.mountPath}/`))!;
      assert.ok(mount, `${file} is mounted`);
      const volume = (pod.volumes as Manifest[]).find((entry) => entry.name === mount.name)!;
      const item = (volume.secret.items as Manifest[]).find((entry) => entry.path === file.slice(mount.mountPath.length + 1))!;
      const secret = find(manifests, 'Secret', volume.secret.secretName);
      return Buffer.from(secret.data[item.key], 'base64');
    };
    const certificate = new X509Certificate(mounted(registryPod, registry, env(registry).IOTCORE_API_TLS_CERT.value));
    assert.ok(mounted(registryPod, registry, env(registry).IOTCORE_API_TLS_KEY.value).toString().includes('PRIVATE KEY'));
    const ca = new X509Certificate(mounted(edgePod, edge, env(edge).IOTCORE_REGISTRY_CA.value));
    assert.ok(certificate.checkIssued(ca) && certificate.verify(ca.publicKey), "the edges' CA signed the registry's certificate");
    const dialled = env(edge).IOTCORE_REGISTRY_ENDPOINT.value.split(':')[0];
    assert.equal(certificate.checkHost(dialled), dialled, `valid for the name the edges dial (${dialled})`);
    assert.equal(certificate.checkHost('iot-api.example.com'), 'iot-api.example.com', 'and for registry.apiTls.dnsNames');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1', 'and for `kubectl port-forward`');
    assert.equal(env(registry).IOTCORE_API_PLAINTEXT, undefined);
    assert.equal(env(edge).IOTCORE_REGISTRY_PLAINTEXT, undefined);
    assert.equal(registry.startupProbe.tcpSocket.port, 'grpc', "the kubelet's gRPC probe cannot speak TLS");
  });

  test('registry.apiTls.mode=plaintext: an explicit opt-in on both sides, no certificate', async () => {
    const plaintext = parseManifests(await template(['-f', ALL_FEATURES_VALUES, '--set', 'registry.apiTls.mode=plaintext']));
    const registry = find(plaintext, 'Deployment', `${full}-registry`).spec.template.spec.containers[0] as Manifest;
    const edge = find(plaintext, 'Deployment', `${full}-edge`).spec.template.spec.containers[0] as Manifest;
    assert.equal(env(registry).IOTCORE_API_PLAINTEXT.value, 'true');
    assert.equal(env(edge).IOTCORE_REGISTRY_PLAINTEXT.value, 'true');
    assert.equal(env(registry).IOTCORE_API_TLS_CERT, undefined);
    assert.equal(env(edge).IOTCORE_REGISTRY_CA, undefined);
    assert.ok(!plaintext.some((manifest) => manifest.metadata.name === `${full}-api-tls`), 'no API certificate Secret');
    assert.equal(registry.startupProbe.grpc.port, 50051);
  });

  test('services: edge LoadBalancer with all MQTT ports, registry ClusterIP with grpc, rest + metrics', () => {
    const edge = find(manifests, 'Service', `${full}-edge`);
    assert.equal(edge.spec.type, 'LoadBalancer');
    assert.deepEqual(
      (edge.spec.ports as Manifest[]).map((port) => port.port),
      [8883, 1883, 8884],
    );
    const registry = find(manifests, 'Service', `${full}-registry`);
    assert.equal(registry.spec.type, 'ClusterIP');
    assert.deepEqual(
      (registry.spec.ports as Manifest[]).map((port) => [port.name, port.port]),
      [
        ['grpc', 50051],
        ['rest', 8443],
        ['http-metrics', 9100],
      ],
    );
    for (const name of ['mongo', 'redis']) {
      const statefulSet = find(manifests, 'StatefulSet', `${full}-${name}`);
      assert.equal(statefulSet.spec.volumeClaimTemplates.length, 1);
      assert.equal(statefulSet.spec.template.spec.containers[0].image, `${name}:7`);
    }
  });

  test('HPA scales on CPU and iotcore_connections; PDBs exist', () => {
    const hpa = find(manifests, 'HorizontalPodAutoscaler', `${full}-edge`);
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    const metrics = hpa.spec.metrics as Manifest[];
    assert.ok(metrics.some((metric) => metric.type === 'Resource' && metric.resource.name === 'cpu'));
    assert.ok(metrics.some((metric) => metric.type === 'Pods' && metric.pods.metric.name === 'iotcore_connections'));
    find(manifests, 'PodDisruptionBudget', `${full}-edge`);
    find(manifests, 'PodDisruptionBudget', `${full}-registry`);
  });

  test('monitoring: ServiceMonitor and the alert rules', () => {
    const monitor = find(manifests, 'ServiceMonitor', full);
    assert.equal(monitor.spec.endpoints[0].port, 'http-metrics');
    const rules = (find(manifests, 'PrometheusRule', full).spec.groups as Manifest[]).flatMap((group) => group.rules as Manifest[]);
    const alerts = Object.fromEntries(rules.map((rule) => [rule.alert, rule.expr as string]));
    for (const name of ['IotcoreEdgeDown', 'IotcorePodNotReady', 'IotcoreAuthFailureSpike', 'IotcoreMessagesDropped']) {
      assert.ok(alerts[name], `alert ${name} missing`);
    }
    assert.match(alerts.IotcoreAuthFailureSpike, /iotcore_connack_total\{[^}]*code!="0"/);
  });

  test('network policies: MQTT from anywhere, registry from the namespace, metrics from monitoring', () => {
    const edge = find(manifests, 'NetworkPolicy', `${full}-edge`);
    const [mqtt, metrics] = edge.spec.ingress as [Manifest, Manifest];
    assert.ok((mqtt.from as Manifest[]).some((peer) => peer.ipBlock?.cidr === '0.0.0.0/0'));
    assert.deepEqual(
      (mqtt.ports as Manifest[]).map((port) => port.port),
      [8883, 1883, 8884],
    );
    assert.equal(metrics.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'monitoring');
    const registry = find(manifests, 'NetworkPolicy', `${full}-registry`);
    assert.deepEqual(registry.spec.ingress[0].from[0], { podSelector: {} });
  });
});

test('NOTES.txt renders connect instructions', async () => {
  // helm template does not render NOTES.txt; render it as a ConfigMap in a scratch copy of the chart
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'iotcore-chart-'));
  try {
    const chart = path.join(scratch, 'iotcore');
    await fs.cp(CHART_DIR, chart, { recursive: true });
    await fs.rename(path.join(chart, 'templates/NOTES.txt'), path.join(chart, 'notes.src'));
    await fs.writeFile(
      path.join(chart, 'templates/zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n{{ tpl (.Files.Get "notes.src") . | indent 4 }}\n',
    );
    const extract = async (args: string[]): Promise<string> => {
      const manifests = parseManifests(await template([...args, '--show-only', 'templates/zz-notes.yaml'], NEWEST_KUBERNETES, chart));
      return manifests[0]!.data.notes as string;
    };
    const notes = await extract(['-f', ALL_FEATURES_VALUES]);
    assert.match(notes, /mqtts:\/\/\$MQTT_HOST:8883/);
    assert.match(notes, /wss:\/\/\$MQTT_HOST:8884/);
    assert.match(notes, /mqtt:\/\/\$MQTT_HOST:1883/);
    assert.match(notes, /kubectl -n iotcore get certificate iot-iotcore-mqtt/);
    const nodePort = await extract(['--set', 'edge.service.type=NodePort']);
    assert.match(nodePort, /mqtts:\/\/\$MQTT_HOST:\$MQTT_PORT/);
    assert.match(nodePort, /create secret tls iot-iotcore-mqtt-tls/);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
});

describe('values are validated', () => {
  const rejectedBySchema: Array<[string, string[], RegExp]> = [
    ['a non-integer replica count', ['--set', 'edge.replicas=three'], /\/edge\/replicas/],
    ['an unknown tls.mode', ['--set', 'tls.mode=selfSigned'], /\/tls\/mode/],
    ['an unknown top-level key', ['--set', 'edgee.replicas=3'], /additional properties 'edgee' not allowed/],
    ['a ClusterIP edge Service', ['--set', 'edge.service.type=ClusterIP'], /\/edge\/service\/type/],
    ['certManager without issuer or names', ['--set', 'tls.mode=certManager'], /\/tls\/certManager/],
    ['a Kafka broker without a port', ['--set', 'kafka.brokers=kafka-0'], /\/kafka\/brokers/],
  ];
  for (const [name, args, detail] of rejectedBySchema) {
    test(`values.schema.json rejects ${name}`, async () => {
      const result = await helmRun(['template', RELEASE, CHART_DIR, ...args]);
      assert.notEqual(result.code, 0, `expected failure: ${describeFailure(result)}`);
      assert.match(result.stderr, /values don't meet the specifications of the schema/);
      assert.match(result.stderr, detail);
    });
  }

  const rejectedByTemplates: Array<[string, string[], RegExp]> = [
    ['no MongoDB', ['--set', 'mongo.bundled.enabled=false'], /MongoDB is required/],
    ['a grace period shorter than the drain', ['--set', 'edge.terminationGracePeriodSeconds=30'], /must exceed/],
  ];
  for (const [name, args, detail] of rejectedByTemplates) {
    test(`the chart refuses ${name}`, async () => {
      const result = await helmRun(['template', RELEASE, CHART_DIR, ...args]);
      assert.notEqual(result.code, 0, `expected failure: ${describeFailure(result)}`);
      assert.match(result.stderr, detail);
    });
  }
});
