// Process start-up: runs the services of this process's role (registry API, MQTT edge, or both)
// with their stores, bus and operations port, until SIGINT/SIGTERM. The CLI's `serve` calls it.
import { mkdir } from 'node:fs/promises';
import type { ServeConfig } from '../common/config.js';
import { createLogger } from '../common/logging.js';
import { ensureAdminToken, ensureSecretFile } from '../registry/admin-token.js';
import { levelCredentialCache, redisCredentialCache } from '../registry/auth/shared-credential-cache.js';
import { openStore } from '../registry/store/open.js';
import { openLogStore } from '../registry/logs/open.js';
import { keepPruned } from '../registry/logs/log-store.js';
import { startRegistryApi } from '../registry/server.js';
import { iamTokenKey } from '../registry/access/iam-token.js';
import { liveCredentialKey } from '../registry/access/live-credential.js';
import { inProcessLink } from '../registry/edge-link.js';
import type { RunningEdge } from '../edge/edge.js';
import { grpcLink } from '../edge/registry-link/grpc-link.js';
import { apiTrustedRoots } from '../common/api-trust.js';
import { apiServerTls } from './server-tls.js';
import { startMqttNode } from './mqtt-node.js';
import { startOpsServer, type ReadinessCheck } from '../common/ops-http.js';
import { RedisRevocationFeed } from '../common/revocations/redis-feed.js';
import { openTriggerQueue, startDeliveryWorkers } from './triggers.js';
import { openRedis } from '../common/redis.js';
import { EDGES_KEY } from '../edge/bus/route-keys.js';
import { localClusterState, redisClusterState } from './cluster-state.js';
import { consoleBuildDir } from './console-build.js';
import { auditLog } from '../registry/api/audit.js';

export async function serve(config: ServeConfig): Promise<void> {
  const logger = createLogger({ name: 'iotcore', level: config.logLevel });
  await mkdir(config.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const checks: ReadinessCheck[] = [];

  let registry: Awaited<ReturnType<typeof startRegistryApi>> | undefined;
  // The console's live view: a configured URL, or this process's WSS port once its edge listens.
  const consoleWebsocket: { url?: string; port?: number } = { url: config.consoleMqttUrl };
  let edge: RunningEdge | undefined;
  // With Redis, revocations go through one feed for the whole cluster, whichever registry replica
  // made them and whichever one an edge is linked to.
  const revocationFeed = config.redisUrl ? new RedisRevocationFeed(config.redisUrl, logger) : undefined;
  if (revocationFeed) closers.push(() => revocationFeed.close());
  if (config.role === 'registry' && !revocationFeed) {
    logger.warn(
      "no --redis-url: revocations reach only the edges linked to this registry process; run every replica with the cluster's Redis",
    );
  }
  const triggerQueue = await openTriggerQueue(config, logger);
  if (triggerQueue) closers.push(() => triggerQueue.close());
  if (config.role !== 'edge') {
    let adminTokens = config.adminTokens;
    if (adminTokens.length === 0) {
      const admin = await ensureAdminToken(config.dataDir);
      adminTokens = [admin.token];
      logger.info({ file: admin.file, created: admin.created }, `management API token is in ${admin.file}`);
    }
    const store = await openStore({ mongoUrl: config.mongoUrl, mongoDb: config.mongoDb, dataDir: config.dataDir });
    const credentialCache = {
      shared: config.redisUrl ? await redisCredentialCache(config.redisUrl) : await levelCredentialCache(config.dataDir),
      secret: Buffer.from(config.credentialCacheSecret ?? (await ensureSecretFile(config.dataDir, 'credential-cache-secret')).token),
    };
    closers.unshift(() => credentialCache.shared.close());
    if (config.role === 'registry' && config.redisUrl && !config.credentialCacheSecret) {
      logger.warn(
        "no --credential-cache-secret: this replica keys the shared password cache and its IAM tokens with its own secret, so replicas do not reuse each other's cache entries and refuse each other's IAM tokens",
      );
    }
    const logRetention = { maxAgeMs: config.logRetentionHours * 3_600_000, maxEntries: config.logMaxEvents };
    const logStore = await openLogStore(config, logRetention, (error) =>
      logger.info({ err: error }, 'the database refuses TTL indexes: connection logs are bounded by the minutely sweep alone'),
    );
    const stopPruning = keepPruned(logStore, logRetention, 60_000, (error) =>
      logger.warn({ err: error }, 'could not remove old connection logs; retrying in a minute'),
    );
    closers.unshift(() => logStore.close());
    closers.unshift(async () => stopPruning());
    const apiTls = await apiServerTls(config);
    registry = await startRegistryApi({
      store,
      logStore,
      listen: config.apiListen,
      restListen: config.restListen,
      adminTokens,
      idPrefix: config.idPrefix,
      quotas: {
        registries_per_folder: config.quotaRegistriesPerFolder,
        devices_per_folder: config.quotaDevicesPerFolder,
        brokers_per_folder: config.quotaBrokersPerFolder,
      },
      tls: apiTls,
      apiAdvertise: config.apiAdvertise,
      // The replicas' shared secret, so an IAM token made by one is taken by all.
      iamTokenKey: iamTokenKey(credentialCache.secret),
      iamTokenLifetimeMs: config.iamTokenHours * 3_600_000,
      liveCredentialKey: liveCredentialKey(credentialCache.secret),
      consoleWebsocket,
      consoleDir: consoleBuildDir(),
      logger,
      revocationFeed,
      credentialCache,
      audit: auditLog(config.auditLog),
    });
    closers.unshift(() => store.close());
    if (config.mongoUrl) checks.push({ name: 'registry_store', check: () => store.ping().then(() => true) });
    closers.unshift(registry.close);
    logger.info(
      { address: registry.address, storage: config.mongoUrl ? 'mongodb' : 'embedded', tls: Boolean(apiTls) },
      `management API listening on ${registry.address}${apiTls ? ' (TLS)' : ' (plaintext: --api-plaintext)'}`,
    );
    if (apiTls?.caFile) logger.info({ caFile: apiTls.caFile }, `management API clients should trust the CA in ${apiTls.caFile}`);
    if (registry.restAddress) logger.info({ address: registry.restAddress }, `REST API listening on ${registry.restAddress}`);
    if (registry.restAddress && !consoleBuildDir()) logger.warn('the web console is not built (npm run build): /console/ is not served');
  }

  // A registry replica in a cluster publishes the data-plane API's messages through an MQTT node of
  // its own, without listeners; without the cluster's Redis and MongoDB it has no way to the edges.
  const publishOnly = config.role === 'registry' && Boolean(config.redisUrl && config.mongoUrl);
  if (config.role !== 'registry' || publishOnly) {
    const link = registry ? inProcessLink(registry.ctx, registry.authenticator, registry.logStore) : remoteLink(config, logger);
    const node = await startMqttNode(config, logger, {
      link,
      listeners: !publishOnly,
      // A separate edge reads the cluster feed itself; in one process the registry's log mirrors it.
      revocations: registry ? undefined : revocationFeed,
      triggerQueue,
    });
    edge = node.edge;
    checks.push(...node.checks);
    closers.unshift(...node.closers);
    registry?.attachDataPlane(edge.dataPlane);
    if (edge.ports.wss !== undefined) consoleWebsocket.port = edge.ports.wss;
    if (publishOnly) logger.info('data-plane publish goes onto the cluster bus (no MQTT listeners in the registry role)');
    else logger.info({ ports: edge.ports }, `MQTT over TLS listening on ${config.mqttListen}`);
  }

  if (registry && triggerQueue) {
    const workers = await startDeliveryWorkers(config, logger, {
      store: registry.ctx.store,
      queue: triggerQueue,
      dataPlane: () => edge?.dataPlane,
    });
    // First: a batch in flight is finished (or left in the queue) while the edge can still publish dead letters.
    closers.unshift(() => workers.stop());
  }
  if (registry && config.role === 'all') registry.attachCluster(localClusterState(checks));
  else if (registry && config.redisUrl) {
    const redis = openRedis(config.redisUrl, { maxRetriesPerRequest: 1 });
    closers.push(async () => redis.disconnect());
    registry.attachCluster(redisClusterState(redis, EDGES_KEY, checks));
  }

  const ops = await startOpsServer({ listen: config.httpListen, checks, logger });
  closers.push(ops.close);

  const shutdown = async (signal: string) => {
    logger.info({ signal, drainSeconds: config.drainSeconds }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineSeconds: config.drainDeadlineSeconds }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, config.drainDeadlineSeconds * 1000).unref();
    ops.setDraining();
    await edge?.drain(config.drainSeconds * 1000);
    for (const close of closers) await close();
    logger.info('shut down');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function remoteLink(config: ServeConfig, logger: ReturnType<typeof createLogger>) {
  if (!config.registryEndpoint || !config.registryToken) {
    throw new Error('--role edge needs --registry-endpoint and --registry-token (IOTCORE_REGISTRY_ENDPOINT, IOTCORE_REGISTRY_TOKEN)');
  }
  return grpcLink({
    endpoint: config.registryEndpoint,
    token: config.registryToken,
    ca: config.registryPlaintext ? undefined : apiTrustedRoots(config.registryCa, config.dataDir),
    onStreamError: (error) => logger.warn({ err: error }, 'revocation stream from the registry broke; resubscribing'),
  });
}
