// iotcore.console.v1.ConsoleService: what the web console needs beyond Yandex's API. WhoAmI lets it
// hide what a token may not do; IssueLiveCredential hands the live view a registry MQTT password for
// a few minutes (access/live-credential.ts); GetCluster shows the installation's edges and readiness.
import {
  ConsoleServiceService,
  GetClusterResponse,
  IssueLiveCredentialResponse,
  WhoAmIResponse,
  type ConsoleServiceServer,
} from '../../generated/iotcore/console/v1/console.js';
import { signLiveCredential } from '../access/live-credential.js';
import { LIVE_VIEW_ROLE } from '../auth/authenticator.js';
import type { ResourceContext } from '../resources/context.js';
import { FieldError } from '../validation/field-error.js';
import { validateId } from '../validation/resource-fields.js';
import { notFound } from '../store/contract.js';
import { unary, type HandlerContext } from './unary.js';

export const DEFAULT_LIVE_MINUTES = 10;
export const MAX_LIVE_MINUTES = 60;

export interface ClusterEdge {
  id: string;
  alive: boolean;
  lease_expires_at: Date;
  /** The edge's last report, when it made one. */
  report?: { connections: number; messages_received: number; messages_delivered: number; ready: boolean; at: Date };
}

export interface ClusterState {
  role: string;
  edges: ClusterEdge[];
  readiness: Array<{ name: string; ok: boolean }>;
}

export interface ConsoleServiceOptions {
  /** HMAC key of live-view credentials; the same on every replica (derived from --credential-cache-secret). */
  liveCredentialKey: Buffer;
  /** Where browsers reach MQTT over WebSocket: a URL (--console-mqtt-url) and/or the local WSS port. */
  websocket: () => { url?: string; port?: number };
  /** The cluster as this process sees it; attached once the process's MQTT side runs. */
  cluster: () => Promise<ClusterState>;
}

export function consoleService(ctx: ResourceContext, handler: HandlerContext, options: ConsoleServiceOptions) {
  const implementation: ConsoleServiceServer = {
    whoAmI: unary(handler, 'ConsoleService.WhoAmI', async (_request, caller) => {
      const grants = caller.ownGrants();
      return WhoAmIResponse.fromPartial({
        name: caller.name,
        bootstrap_admin: grants === undefined,
        grants: grants ? [...grants] : [],
        folder_ids: grants === undefined ? await knownFolders(ctx) : [...new Set(grants.map((grant) => grant.folder_id))].sort(),
      });
    }),

    issueLiveCredential: unary(handler, 'ConsoleService.IssueLiveCredential', async (request, caller) => {
      validateId('registry_id', request.registry_id);
      const minutes = request.minutes || DEFAULT_LIVE_MINUTES;
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_LIVE_MINUTES)
        throw new FieldError('minutes', `must be between 1 and ${MAX_LIVE_MINUTES}`);
      const registry = await ctx.store.getRegistry(request.registry_id);
      if (!registry) throw notFound(`registry ${request.registry_id} not found`);
      caller.require(LIVE_VIEW_ROLE, registry.folder_id);
      // Whole seconds: what the credential carries, so the answer and the edge's deadline agree.
      const expiresAt = new Date(Math.floor((ctx.now().getTime() + minutes * 60_000) / 1000) * 1000);
      const websocket = options.websocket();
      return IssueLiveCredentialResponse.fromPartial({
        username: registry.id,
        password: signLiveCredential({ registryId: registry.id, issuer: caller.name, expiresAt }, options.liveCredentialKey),
        expires_at: expiresAt,
        websocket_url: websocket.url ?? '',
        websocket_port: websocket.port ?? 0,
      });
    }),

    getCluster: unary(handler, 'ConsoleService.GetCluster', async (_request, caller) => {
      caller.requireBootstrapAdmin();
      const state = await options.cluster();
      return GetClusterResponse.fromPartial({
        role: state.role,
        now: ctx.now(),
        readiness: state.readiness,
        edges: state.edges.map((edge) => ({
          id: edge.id,
          alive: edge.alive,
          lease_expires_at: edge.lease_expires_at,
          connections: edge.report?.connections ?? -1,
          messages_received: edge.report?.messages_received ?? -1,
          messages_delivered: edge.report?.messages_delivered ?? -1,
          reported_at: edge.report?.at,
          ready: edge.report?.ready ?? false,
        })),
      });
    }),
  };
  return { definition: ConsoleServiceService, implementation };
}

/** There is no folder registry (Yandex's folders live in its resource manager): `default` and every folder a token or service account is granted on. */
async function knownFolders(ctx: ResourceContext): Promise<string[]> {
  const [tokens, accounts] = await Promise.all([ctx.store.listAccessTokens(), ctx.store.listServiceAccounts()]);
  const folders = new Set(['default', ...[...tokens, ...accounts].flatMap((holder) => holder.grants.map((grant) => grant.folder_id))]);
  return [...folders].sort();
}
