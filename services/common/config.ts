// Every setting of `iotcore serve` in one table: flag, IOTCORE_… environment variable, default,
// help text and parser. The CLI registers the table with commander; the README's settings table
// is written from the same list (`iotcore serve --help` prints it too).
import { Option, type Command } from 'commander';
import { isRedisUrl } from './redis.js';
import { parseKafkaBrokers } from './kafka.js';

export type Role = 'all' | 'registry' | 'edge';

export interface ServeConfig {
  role: Role;
  dataDir: string;
  apiListen: string;
  /** REST gateway address; undefined when `off`. */
  restListen?: string;
  apiTlsCert?: string;
  apiTlsKey?: string;
  /** Serve the management API without TLS; only when asked for by name. */
  apiPlaintext: boolean;
  /** host:port the endpoint discovery hands out; the API's own address when undefined. */
  apiAdvertise?: string;
  iamTokenHours: number;
  adminTokens: string[];
  mongoUrl?: string;
  mongoDb: string;
  redisUrl?: string;
  clusterBus: 'channels' | 'routes';
  httpListen: string;
  drainSeconds: number;
  drainDeadlineSeconds: number;
  registryEndpoint?: string;
  registryToken?: string;
  /** CA file an edge trusts for the registry's API (default: DATA_DIR/tls/ca.pem and the system's). */
  registryCa?: string;
  registryPlaintext: boolean;
  idPrefix: string;
  quotaRegistriesPerFolder: number;
  quotaDevicesPerFolder: number;
  quotaBrokersPerFolder: number;
  logLevel: string;
  /** `stdout` (the process log), `off`, or a file the events are appended to. */
  auditLog: string;
  mqttListen: string;
  mqttTcpListen?: string;
  mqttWssListen?: string;
  consoleMqttUrl?: string;
  mqttWssClientCertificates: 'request' | 'off';
  tlsCert?: string;
  tlsKey?: string;
  tlsSans: string[];
  maxMessageBytes: number;
  devicePublishRate: number;
  brokerPublishRate: number;
  maxBrokerConnections: number;
  maxRegistryConnections: number;
  maxSubscriptions: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  sessionExpirySeconds: number;
  maxBacklogAgeMs: number;
  credentialCacheSecret?: string;
  logRetentionHours: number;
  logMaxEvents: number;
  logBufferEvents: number;
  kafkaBrokers?: string[];
  kafkaSecurity: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  kafkaTlsCa?: string;
  kafkaSaslMechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  kafkaSaslUsername?: string;
  kafkaSaslPassword?: string;
  exportBacklogRecords: number;
  exportBacklogBytes: number;
  triggerBacklogMessages: number;
  triggerRequestTimeoutMs: number;
  triggerClaimIdleMs: number;
  triggerTlsCa?: string;
}

interface Setting {
  key: keyof ServeConfig;
  flag: string;
  env: string;
  description: string;
  default?: string;
  parse?: (value: string) => unknown;
  choices?: string[];
}

const integer = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`not a non-negative integer: ${value}`);
  return parsed;
};
const positive = (value: string): number => {
  const parsed = integer(value);
  if (parsed === 0) throw new Error('must be at least 1');
  return parsed;
};
const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
// A switch (`--api-plaintext`, or `--api-plaintext false`, or its variable set to true/false):
// spelled out so that IOTCORE_API_PLAINTEXT=false does not turn TLS off.
export const parseSwitch = (value: string): boolean => {
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new Error(`not true or false: ${value}`);
};
const redisUrl = (value: string): string => {
  if (!isRedisUrl(value))
    throw new Error(`not a Redis URL (redis://host:port, or redis+cluster://host:port,host:port for a Redis Cluster): ${value}`);
  return value;
};

export const SERVE_SETTINGS: Setting[] = [
  {
    key: 'role',
    flag: '--role <role>',
    env: 'IOTCORE_ROLE',
    default: 'all',
    choices: ['all', 'registry', 'edge'],
    description: 'which services this process runs: all (registry API and MQTT edge), registry, or edge',
  },
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: 'IOTCORE_DATA_DIR',
    default: './data',
    description: 'directory for the embedded store, the generated admin token and TLS files',
  },
  {
    key: 'apiListen',
    flag: '--api-listen <host:port>',
    env: 'IOTCORE_API_LISTEN',
    default: '0.0.0.0:50051',
    description: 'address of the management gRPC API',
  },
  {
    key: 'restListen',
    flag: '--rest-listen <host:port>',
    env: 'IOTCORE_REST_LISTEN',
    default: '0.0.0.0:8443',
    parse: (value: string) => (value === 'off' ? undefined : value),
    description:
      "address of the management API over HTTP/JSON (Yandex's REST paths, e.g. /iot-devices/v1/registries): HTTPS with the gRPC API's certificate, plain HTTP with --api-plaintext; off = not served",
  },
  {
    key: 'apiTlsCert',
    flag: '--api-tls-cert <file>',
    env: 'IOTCORE_API_TLS_CERT',
    description:
      'PEM certificate for the management API, gRPC and REST (default: one from the local CA in DATA_DIR/tls, the one MQTT uses, made on first start)',
  },
  { key: 'apiTlsKey', flag: '--api-tls-key <file>', env: 'IOTCORE_API_TLS_KEY', description: 'PEM private key for the management API' },
  {
    key: 'apiPlaintext',
    flag: '--api-plaintext [bool]',
    env: 'IOTCORE_API_PLAINTEXT',
    default: 'false',
    parse: parseSwitch,
    description:
      'serve the management API (gRPC and REST) without TLS, e.g. inside a private cluster network: bearer tokens then travel in clear',
  },
  {
    key: 'apiAdvertise',
    flag: '--api-advertise <host:port>',
    env: 'IOTCORE_API_ADVERTISE',
    description:
      "address Yandex's SDKs are told to use for every service (yandex.cloud.endpoint.ApiEndpointService), e.g. a load balancer's; default: the API's own listen address (a wildcard host replaced by the host the client dialled)",
  },
  {
    key: 'iamTokenHours',
    flag: '--iam-token-hours <hours>',
    env: 'IOTCORE_IAM_TOKEN_HOURS',
    default: '12',
    parse: positive,
    description: 'lifetime of the IAM tokens yandex.cloud.iam.v1.IamTokenService/Create hands out (Yandex: 12)',
  },
  {
    key: 'adminTokens',
    flag: '--admin-tokens <tokens>',
    env: 'IOTCORE_ADMIN_TOKENS',
    parse: list,
    description: 'comma-separated bearer tokens accepted by the management API (default: DATA_DIR/admin-token, created on first start)',
  },
  {
    key: 'mongoUrl',
    flag: '--mongo-url <url>',
    env: 'IOTCORE_MONGO_URL',
    description:
      'MongoDB connection string; when set, registry data (role registry/all) and MQTT sessions, queued QoS 1 and permanent-topic values (role edge/all) live in MongoDB instead of the data dir',
  },
  { key: 'mongoDb', flag: '--mongo-db <name>', env: 'IOTCORE_MONGO_DB', default: 'iotcore', description: 'MongoDB database name' },
  {
    key: 'redisUrl',
    flag: '--redis-url <url>',
    env: 'IOTCORE_REDIS_URL',
    parse: redisUrl,
    description:
      'Redis of the cluster (cluster mode): the message bus between edges and the revocation feed every registry replica and edge shares; redis://host:port for one server, redis+cluster://host:port,host:port for a Redis Cluster; unset: one process, in-process bus and feed',
  },
  {
    key: 'clusterBus',
    flag: '--cluster-bus <bus>',
    env: 'IOTCORE_CLUSTER_BUS',
    default: 'routes',
    choices: ['channels', 'routes'],
    description:
      'how edges pass messages over Redis (cluster mode): routes, a cluster-wide route table and per-edge inbox streams, so a message goes only to edges with a matching subscriber and a dropped connection loses nothing; channels (the bus before 0.2), one Redis pub/sub channel per registry that every edge with a client of the registry receives',
  },
  {
    key: 'registryEndpoint',
    flag: '--registry-endpoint <host:port>',
    env: 'IOTCORE_REGISTRY_ENDPOINT',
    description: 'registry service an edge asks for authentication (role edge)',
  },
  {
    key: 'registryToken',
    flag: '--registry-token <token>',
    env: 'IOTCORE_REGISTRY_TOKEN',
    description: 'bearer token an edge presents to the registry service (one of its admin tokens)',
  },
  {
    key: 'registryCa',
    flag: '--registry-ca <file>',
    env: 'IOTCORE_REGISTRY_CA',
    description:
      "PEM CA certificates an edge trusts for the registry service's TLS (default: DATA_DIR/tls/ca.pem when it exists, and the system's)",
  },
  {
    key: 'registryPlaintext',
    flag: '--registry-plaintext [bool]',
    env: 'IOTCORE_REGISTRY_PLAINTEXT',
    default: 'false',
    parse: parseSwitch,
    description: 'an edge talks to a registry service served with --api-plaintext',
  },
  {
    key: 'credentialCacheSecret',
    flag: '--credential-cache-secret <secret>',
    env: 'IOTCORE_CREDENTIAL_CACHE_SECRET',
    description:
      'key of the shared verified-password cache (Redis in a cluster, DATA_DIR/credential-cache otherwise) and of the IAM tokens; every registry replica needs the same one (default: DATA_DIR/credential-cache-secret, made on first start)',
  },
  {
    key: 'idPrefix',
    flag: '--id-prefix <prefix>',
    env: 'IOTCORE_ID_PREFIX',
    default: 'are',
    description: 'three-character prefix of generated IDs (Yandex used "are")',
  },
  {
    key: 'quotaRegistriesPerFolder',
    flag: '--quota-registries <n>',
    env: 'IOTCORE_QUOTA_REGISTRIES',
    default: '0',
    parse: integer,
    description: 'registries per folder, 0 = unlimited (Yandex: 10)',
  },
  {
    key: 'quotaDevicesPerFolder',
    flag: '--quota-devices <n>',
    env: 'IOTCORE_QUOTA_DEVICES',
    default: '0',
    parse: integer,
    description: 'devices per folder, 0 = unlimited (Yandex: 1000)',
  },
  {
    key: 'quotaBrokersPerFolder',
    flag: '--quota-brokers <n>',
    env: 'IOTCORE_QUOTA_BROKERS',
    default: '0',
    parse: integer,
    description: 'brokers per folder, 0 = unlimited (Yandex: 10)',
  },
  {
    key: 'mqttListen',
    flag: '--mqtt-listen <host:port>',
    env: 'IOTCORE_MQTT_LISTEN',
    default: '0.0.0.0:8883',
    description: 'MQTT over TLS (client certificates requested, pinned by fingerprint)',
  },
  {
    key: 'mqttTcpListen',
    flag: '--mqtt-tcp-listen <host:port>',
    env: 'IOTCORE_MQTT_TCP_LISTEN',
    description: 'plaintext MQTT; off unless given (passwords would travel in clear)',
  },
  {
    key: 'mqttWssListen',
    flag: '--mqtt-wss-listen <host:port>',
    env: 'IOTCORE_MQTT_WSS_LISTEN',
    description: 'MQTT over secure WebSocket (same certificate as TLS); off unless given',
  },
  {
    key: 'mqttWssClientCertificates',
    flag: '--mqtt-wss-client-certificates <mode>',
    env: 'IOTCORE_MQTT_WSS_CLIENT_CERTIFICATES',
    default: 'request',
    choices: ['request', 'off'],
    description:
      "whether the WSS listener asks for a client certificate: off for browsers (the web console's live view), which would show a certificate picker or, headless, cancel the handshake",
  },
  {
    key: 'consoleMqttUrl',
    flag: '--console-mqtt-url <url>',
    env: 'IOTCORE_CONSOLE_MQTT_URL',
    parse: (value: string) => {
      if (!/^wss:\/\/[^\s;,'"]+$/.test(value)) throw new Error('must be a wss:// URL');
      return value;
    },
    description:
      "where browsers reach MQTT over secure WebSocket (the edges' --mqtt-wss-listen behind a load balancer), for the web console's live view; default: this process's --mqtt-wss-listen port on the console's host",
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    env: 'IOTCORE_TLS_CERT',
    description: 'PEM server certificate for MQTT (default: a local CA in DATA_DIR/tls, made on first start)',
  },
  { key: 'tlsKey', flag: '--tls-key <file>', env: 'IOTCORE_TLS_KEY', description: 'PEM private key for --tls-cert' },
  {
    key: 'tlsSans',
    flag: '--tls-san <names>',
    env: 'IOTCORE_TLS_SANS',
    parse: list,
    description: 'extra comma-separated host names/IPs for the generated server certificate',
  },
  {
    key: 'maxMessageBytes',
    flag: '--max-message-bytes <n>',
    env: 'IOTCORE_MAX_MESSAGE_BYTES',
    default: '262144',
    parse: integer,
    description: 'largest MQTT message payload accepted, in a PUBLISH or a will; a larger one closes the connection (Yandex: 256 KiB)',
  },
  {
    key: 'devicePublishRate',
    flag: '--device-publish-rate <n>',
    env: 'IOTCORE_DEVICE_PUBLISH_RATE',
    default: '0',
    parse: integer,
    description: 'messages per second a device may publish; excess is acknowledged and dropped; 0 = unlimited (Yandex: 1)',
  },
  {
    key: 'brokerPublishRate',
    flag: '--broker-publish-rate <n>',
    env: 'IOTCORE_BROKER_PUBLISH_RATE',
    default: '0',
    parse: integer,
    description: 'messages per second per broker client identity; 0 = unlimited (Yandex: 50)',
  },
  {
    key: 'maxBrokerConnections',
    flag: '--max-broker-connections <n>',
    env: 'IOTCORE_MAX_BROKER_CONNECTIONS',
    default: '0',
    parse: integer,
    description: 'concurrent connections per broker on this edge; 0 = unlimited (Yandex: 50)',
  },
  {
    key: 'maxRegistryConnections',
    flag: '--max-registry-connections <n>',
    env: 'IOTCORE_MAX_REGISTRY_CONNECTIONS',
    default: '0',
    parse: integer,
    description: 'concurrent connections of a registry and its devices on this edge; 0 = unlimited',
  },
  {
    key: 'maxSubscriptions',
    flag: '--max-subscriptions <n>',
    env: 'IOTCORE_MAX_SUBSCRIPTIONS',
    default: '1000',
    parse: integer,
    description:
      'subscriptions one connection may hold; past it a filter gets SUBACK 0x80 and the connection stays; 0 = unlimited (Mosquitto, EMQX: bounded by default)',
  },
  {
    key: 'maxQueuedMessages',
    flag: '--max-queued-messages <n>',
    env: 'IOTCORE_MAX_QUEUED_MESSAGES',
    default: '1000',
    parse: integer,
    description:
      'QoS 1 messages queued for one persistent session (offline or unacknowledged); past it new ones are not queued for it and count as dropped (queue_full); 0 = unlimited (Mosquitto max_queued_messages: 1000)',
  },
  {
    key: 'maxQueuedBytes',
    flag: '--max-queued-bytes <n>',
    env: 'IOTCORE_MAX_QUEUED_BYTES',
    default: '16777216',
    parse: integer,
    description: 'payload bytes queued for one persistent session, as --max-queued-messages; 0 = unlimited',
  },
  {
    key: 'sessionExpirySeconds',
    flag: '--session-expiry-seconds <n>',
    env: 'IOTCORE_SESSION_EXPIRY_SECONDS',
    default: '7200',
    parse: integer,
    description:
      'a persistent session (CleanSession=0) that stays disconnected this long is removed with its subscriptions and queue; 0 = never (EMQX, HiveMQ: 2 h)',
  },
  {
    key: 'maxBacklogAgeMs',
    flag: '--max-backlog-age-ms <n>',
    env: 'IOTCORE_MAX_BACKLOG_AGE_MS',
    default: '1000',
    parse: integer,
    description:
      'under overload, a QoS 0 message that waited this long in the in-process bus backlog is dropped, oldest first, so what is delivered stays recent (counted as stale); QoS 1 is never dropped; 0 = no age bound',
  },
  {
    key: 'logRetentionHours',
    flag: '--log-retention-hours <n>',
    env: 'IOTCORE_LOG_RETENTION_HOURS',
    default: '72',
    parse: positive,
    description:
      'connection logs (iotcore registry|device|broker logs) older than this are removed (a MongoDB TTL index where the server supports one, and a sweep every minute); Cloud Logging keeps 3 days by default',
  },
  {
    key: 'logMaxEvents',
    flag: '--log-max-events <n>',
    env: 'IOTCORE_LOG_MAX_EVENTS',
    default: '1000000',
    parse: positive,
    description: 'connection-log entries kept at most, across all registries and brokers; the oldest past it are removed every minute',
  },
  {
    key: 'logBufferEvents',
    flag: '--log-buffer-events <n>',
    env: 'IOTCORE_LOG_BUFFER_EVENTS',
    default: '10000',
    parse: positive,
    description:
      'connection-log entries an edge holds on their way to the store; when the store is slower, further ones are dropped and counted (iotcore_log_events_dropped_total) and MQTT never waits',
  },
  {
    key: 'kafkaBrokers',
    flag: '--kafka-brokers <host:port,…>',
    env: 'IOTCORE_KAFKA_BROKERS',
    parse: parseKafkaBrokers,
    description:
      "Kafka cluster the data stream exports write to (AddDataStreamExport; an export's stream is the Kafka topic); unset: exports are stored but nothing is exported",
  },
  {
    key: 'kafkaSecurity',
    flag: '--kafka-security <protocol>',
    env: 'IOTCORE_KAFKA_SECURITY',
    default: 'PLAINTEXT',
    choices: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    description: "how to reach the Kafka brokers, by Kafka's security.protocol names: TLS (SSL), SASL, both, or neither",
  },
  {
    key: 'kafkaTlsCa',
    flag: '--kafka-tls-ca <file>',
    env: 'IOTCORE_KAFKA_TLS_CA',
    description: "PEM CA certificates to trust for the Kafka brokers' TLS (default: the system's)",
  },
  {
    key: 'kafkaSaslMechanism',
    flag: '--kafka-sasl-mechanism <mechanism>',
    env: 'IOTCORE_KAFKA_SASL_MECHANISM',
    default: 'PLAIN',
    choices: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    description: 'SASL mechanism with --kafka-security SASL_PLAINTEXT or SASL_SSL',
  },
  { key: 'kafkaSaslUsername', flag: '--kafka-sasl-username <name>', env: 'IOTCORE_KAFKA_SASL_USERNAME', description: 'SASL username' },
  { key: 'kafkaSaslPassword', flag: '--kafka-sasl-password <secret>', env: 'IOTCORE_KAFKA_SASL_PASSWORD', description: 'SASL password' },
  {
    key: 'exportBacklogRecords',
    flag: '--export-backlog-records <n>',
    env: 'IOTCORE_EXPORT_BACKLOG_RECORDS',
    default: '100000',
    parse: positive,
    description:
      'exported records an edge holds while Kafka is slow or away; past it (or --export-backlog-bytes) new ones are dropped and counted (iotcore_export_records_dropped_total) and MQTT never waits',
  },
  {
    key: 'exportBacklogBytes',
    flag: '--export-backlog-bytes <n>',
    env: 'IOTCORE_EXPORT_BACKLOG_BYTES',
    default: '67108864',
    parse: positive,
    description: 'memory the held exported records may take, as --export-backlog-records',
  },
  {
    key: 'triggerBacklogMessages',
    flag: '--trigger-backlog-messages <n>',
    env: 'IOTCORE_TRIGGER_BACKLOG_MESSAGES',
    default: '100000',
    parse: positive,
    description:
      "messages one trigger's delivery queue holds while its endpoint is slow or down; past it new ones are dropped and counted (iotcore_trigger_messages_dropped_total) and MQTT never waits",
  },
  {
    key: 'triggerRequestTimeoutMs',
    flag: '--trigger-request-timeout-ms <ms>',
    env: 'IOTCORE_TRIGGER_REQUEST_TIMEOUT_MS',
    default: '10000',
    parse: positive,
    description: "how long a trigger's request may go unanswered before it counts as failed and is retried",
  },
  {
    key: 'triggerClaimIdleMs',
    flag: '--trigger-claim-idle-ms <ms>',
    env: 'IOTCORE_TRIGGER_CLAIM_IDLE_MS',
    default: '30000',
    parse: positive,
    description:
      'in a cluster: how long a batch taken by a registry replica may go untouched before another replica takes it over (the first one died)',
  },
  {
    key: 'triggerTlsCa',
    flag: '--trigger-tls-ca <file>',
    env: 'IOTCORE_TRIGGER_TLS_CA',
    description: "PEM CA certificates trusted for triggers' https:// endpoints, besides the system CAs",
  },
  {
    key: 'httpListen',
    flag: '--http-listen <host:port>',
    env: 'IOTCORE_HTTP_LISTEN',
    default: '0.0.0.0:9100',
    description: 'health (/healthz, /readyz) and Prometheus metrics (/metrics) over HTTP',
  },
  {
    key: 'drainSeconds',
    flag: '--drain-seconds <n>',
    env: 'IOTCORE_DRAIN_SECONDS',
    default: '20',
    parse: integer,
    description: 'on SIGTERM, close MQTT connections spread over this many seconds so clients move to other edges gradually',
  },
  {
    key: 'drainDeadlineSeconds',
    flag: '--drain-deadline-seconds <n>',
    env: 'IOTCORE_DRAIN_DEADLINE_SECONDS',
    default: '30',
    parse: integer,
    description: 'on SIGTERM, exit (status 1) after this many seconds even if shutting down is not finished',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'IOTCORE_LOG_LEVEL',
    default: 'info',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    description: 'log level',
  },
  {
    key: 'auditLog',
    flag: '--audit-log <stdout|off|file>',
    env: 'IOTCORE_AUDIT_LOG',
    default: 'stdout',
    description:
      'where the audit events of API changes go: the process log (stdout, whatever --log-level says), nowhere (off), or appended to a file as JSON lines',
  },
];

export function addServeOptions(command: Command): Command {
  for (const setting of SERVE_SETTINGS) {
    const option = new Option(setting.flag, setting.description).env(setting.env);
    if (setting.choices) option.choices(setting.choices);
    command.addOption(option);
  }
  return command;
}

/** Turns commander's raw option values (flags, then env, then defaults) into a typed config. */
export function resolveServeConfig(raw: Record<string, unknown>): ServeConfig {
  const config: Record<string, unknown> = {};
  for (const setting of SERVE_SETTINGS) {
    // A switch given without a value arrives as `true`.
    const given = raw[setting.key] === true ? 'true' : (raw[setting.key] as string | undefined);
    const value = given ?? setting.default;
    if (value === undefined) continue;
    try {
      config[setting.key] = setting.parse ? setting.parse(value) : value;
    } catch (error) {
      throw new Error(`${setting.flag.split(' ')[0]} (${setting.env}): ${(error as Error).message}`);
    }
  }
  config.adminTokens ??= [];
  config.tlsSans ??= [];
  if (Boolean(config.apiTlsCert) !== Boolean(config.apiTlsKey)) {
    throw new Error('--api-tls-cert and --api-tls-key must be given together');
  }
  if (config.apiPlaintext && config.apiTlsCert) throw new Error('--api-plaintext and --api-tls-cert contradict each other');
  if (config.registryPlaintext && config.registryCa) throw new Error('--registry-plaintext and --registry-ca contradict each other');
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
    throw new Error('--tls-cert and --tls-key must be given together');
  }
  const sasl = String(config.kafkaSecurity).startsWith('SASL_');
  if (sasl && !(config.kafkaSaslUsername && config.kafkaSaslPassword)) {
    throw new Error(`--kafka-security ${String(config.kafkaSecurity)} needs --kafka-sasl-username and --kafka-sasl-password`);
  }
  return config as unknown as ServeConfig;
}
