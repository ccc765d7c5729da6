// The registry service process part: opens the store, wires the resource rules into the gRPC
// services and serves them. Reads like a table of contents on purpose.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../common/logging.js';
import type { RegistryStore } from './store/contract.js';
import type { ConnectionLogStore } from './logs/log-store.js';
import { RegistryEvents, type SharedRevocationFeed } from './resources/events.js';
import type { Quotas, ResourceContext } from './resources/context.js';
import { RegistryFolders } from './resources/registry-folders.js';
import { createIdGenerator } from './ids.js';
import { Authenticator } from './auth/authenticator.js';
import { VerifiedPasswords } from './auth/verified-passwords.js';
import type { SharedCredentialCache } from './auth/shared-credential-cache.js';
import { tokenAccess } from './api/access.js';
import { accessTokenService } from './api/access-token-service.js';
import { auditLog, type AuditSink } from './api/audit.js';
import { triggerService } from './api/trigger-service.js';
import { endpointService } from './api/endpoint-service.js';
import { serviceAccountService } from './api/service-account-service.js';
import { iamTokenService } from './api/iam-token-service.js';
import type { HandlerContext } from './api/unary.js';
import { registryService } from './api/registry-service.js';
import { deviceService } from './api/device-service.js';
import { brokerService } from './api/broker-service.js';
import { operationService } from './api/operation-service.js';
import { addIntrospection } from './api/introspection.js';
import { dataServices, type DataPlane } from './api/data-services.js';
import { edgeAuthService } from './api/edge-auth-service.js';
import { importService } from './api/import-service.js';
import { logService } from './api/log-service.js';
import { consoleService, type ClusterState } from './api/console-service.js';
import { instrumentService } from './api/grpc-metrics.js';
import { decodingFailuresToHandlers } from './api/request-decoding.js';
import { deriveRoutes } from './rest/routes.js';
import { restGateway } from './rest/gateway.js';
import { startRestServer } from './rest/server.js';
import { consoleAssets } from './rest/console-assets.js';

export interface RegistryApiOptions {
  store: RegistryStore;
  /** Where the connection logs the edges send are kept. */
  logStore: ConnectionLogStore;
  listen: string;
  /** host:port of the REST gateway (same TLS as the gRPC API); none when omitted. */
  restListen?: string;
  /** Bootstrap admin tokens: every role on every folder, including the access token API. */
  adminTokens: string[];
  idPrefix: string;
  quotas: Quotas;
  tls?: { certFile: string; keyFile: string };
  /** host:port endpoint discovery hands out instead of the bound address (a load balancer's). */
  apiAdvertise?: string;
  logger: Logger;
  /** The cluster's revocation feed (Redis), shared by registry replicas; in-process when omitted. */
  revocationFeed?: SharedRevocationFeed;
  /** HMAC key of the IAM tokens (access/iam-token.ts); every registry replica needs the same. Random per process when omitted. */
  iamTokenKey?: Buffer;
  /** Lifetime of an IAM token; 12 hours (Yandex's) when omitted. */
  iamTokenLifetimeMs?: number;
  /** Verified passwords remembered across restarts and replicas, under `secret`; per process when omitted. */
  credentialCache?: { shared: SharedCredentialCache; secret: Buffer };
  /** HMAC key of the console's live-view MQTT credentials; every registry replica needs the same. Random per process when omitted. */
  liveCredentialKey?: Buffer;
  /** Where browsers reach MQTT over WebSocket, for the console's live view. */
  consoleWebsocket?: { url?: string; port?: number };
  /** The directory of the built console (`/console/` on the REST listener); not served when omitted. */
  consoleDir?: string;
  /** Where the audit events of changing API calls go; the process log (name "audit") when omitted. */
  audit?: AuditSink;
}

export interface RunningRegistryApi {
  /** host:port actually bound (port 0 resolves to a free port). */
  address: string;
  /** host:port of the REST gateway, when it runs. */
  restAddress?: string;
  ctx: ResourceContext;
  authenticator: Authenticator;
  /** Where this process's own edge writes its connection logs (inProcessLink). */
  logStore: ConnectionLogStore;
  /** The MQTT edge of this process registers itself here to serve the data-plane Publish calls. */
  attachDataPlane(plane: DataPlane): void;
  /** What the console's cluster page shows, once the process knows it (its MQTT side and Redis). */
  attachCluster(cluster: () => Promise<ClusterState>): void;
  close(): Promise<void>;
}

/** The registry's gRPC services wired to the store, not yet served: what startRegistryApi serves. */
export interface RegistryServices {
  ctx: ResourceContext;
  authenticator: Authenticator;
  /** Every service with its handlers, for the gRPC server and the REST gateway alike. */
  services: Array<{ definition: ServiceDefinition; implementation: UntypedServiceImplementation }>;
  attachDataPlane(plane: DataPlane): void;
  attachCluster(cluster: () => Promise<ClusterState>): void;
  /** The address the gRPC server bound, for endpoint discovery. */
  setBoundAddress(address: string): void;
  close(): void;
}

/** Builds the services without a socket (also how the fuzz harness calls every handler in-process). */
export function registryServices(options: Omit<RegistryApiOptions, 'listen' | 'restListen' | 'tls'>): RegistryServices {
  const verifiedPasswords = new VerifiedPasswords({ ...options.credentialCache, logger: options.logger });
  const ctx: ResourceContext = {
    store: options.store,
    newId: createIdGenerator(options.idPrefix),
    now: () => new Date(),
    quotas: options.quotas,
    events: new RegistryEvents({ shared: options.revocationFeed, logger: options.logger }),
    registryFolders: new RegistryFolders(options.store),
    vouchPassword: (entityId, password, passwordId) => verifiedPasswords.vouch(entityId, password, passwordId),
  };
  const iamTokens = { key: options.iamTokenKey ?? randomBytes(32), lifetimeMs: options.iamTokenLifetimeMs ?? 12 * 3_600_000 };
  const handler: HandlerContext = {
    access: tokenAccess({ adminTokens: options.adminTokens, store: options.store, now: ctx.now, iamTokenKey: iamTokens.key }),
    logger: options.logger,
    audit: options.audit ?? auditLog(),
  };
  let dataPlane: DataPlane | undefined;
  let cluster = async (): Promise<ClusterState> => ({ role: 'registry', edges: [], readiness: [] });
  let boundAddress = '';
  const liveCredentialKey = options.liveCredentialKey ?? randomBytes(32);
  const authenticator = new Authenticator(ctx, verifiedPasswords, {
    key: liveCredentialKey,
    issuerHolds: async (issuer, role, folderId) => (await handler.access.principalByName(issuer))?.has(role, folderId) ?? false,
  });
  const stopForgetting = ctx.events.follow(undefined, authenticator.cacheInvalidation());
  const stopForgettingFolders = ctx.events.follow(undefined, ctx.registryFolders.invalidation());
  const services = [
    registryService(ctx, handler),
    deviceService(ctx, handler),
    brokerService(ctx, handler),
    operationService(ctx, handler),
    ...dataServices(ctx, handler, () => dataPlane),
    edgeAuthService(ctx, authenticator, options.logStore, handler),
    importService(ctx, handler),
    logService(ctx, options.logStore, handler),
    accessTokenService(ctx, handler),
    triggerService(ctx, handler),
    serviceAccountService(ctx, handler),
    iamTokenService(ctx, handler, iamTokens),
    endpointService(handler, { advertise: options.apiAdvertise, bound: () => boundAddress }),
    consoleService(ctx, handler, { liveCredentialKey, websocket: () => options.consoleWebsocket ?? {}, cluster: () => cluster() }),
  ].map((service) => ({
    definition: decodingFailuresToHandlers(service.definition as ServiceDefinition),
    implementation: service.implementation as UntypedServiceImplementation,
  }));
  return {
    ctx,
    authenticator,
    services,
    attachDataPlane: (plane) => {
      dataPlane = plane;
    },
    attachCluster: (source) => {
      cluster = source;
    },
    setBoundAddress: (address) => {
      boundAddress = address;
    },
    close: () => {
      stopForgetting();
      stopForgettingFolders();
      ctx.events.close();
    },
  };
}

export async function startRegistryApi(options: RegistryApiOptions): Promise<RunningRegistryApi> {
  const registry = registryServices(options);
  const server = new Server();
  // gRPC calls are counted and timed here (grpc-metrics.ts); REST calls apart, by the gateway (rest/metrics.ts).
  for (const { definition, implementation } of registry.services)
    server.addService(definition, instrumentService(definition, implementation));
  addIntrospection(
    server,
    registry.services.map((service) => serviceName(service.definition)),
  );

  const tls = options.tls && { cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) };
  const credentials = tls
    ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }])
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const host = options.listen.slice(0, options.listen.lastIndexOf(':'));
  registry.setBoundAddress(`${host}:${port}`);
  const rest =
    options.restListen === undefined
      ? undefined
      : await startRestServer({
          listen: options.restListen,
          tls,
          gateway: restGateway(deriveRoutes(), registry.services, options.logger),
          console: options.consoleDir ? consoleAssets(options.consoleDir, options.consoleWebsocket ?? {}) : undefined,
          logger: options.logger,
        });
  return {
    address: `${host}:${port}`,
    restAddress: rest?.address,
    ctx: registry.ctx,
    authenticator: registry.authenticator,
    logStore: options.logStore,
    attachDataPlane: registry.attachDataPlane,
    attachCluster: registry.attachCluster,
    close: async () => {
      await rest?.close();
      await new Promise<void>((resolve) => {
        registry.close();
        server.tryShutdown(() => resolve());
        // Do not wait forever for long-lived streams (edges watching revocations).
        setTimeout(() => server.forceShutdown(), 2000).unref();
      });
    },
  };
}

function serviceName(definition: object): string {
  const first = Object.values(definition)[0] as { path: string };
  return first.path.split('/')[1]!;
}
