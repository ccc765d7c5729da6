// The registry link of a separate edge process: iotcore.auth.v1 over gRPC, with deadlines, and a
// revocation stream that reconnects by itself and resumes from the last position it saw (so a
// broken stream loses nothing; the replica says GAP when it no longer has that position). An
// unreachable registry makes authenticate() reject, which the edge answers with CONNACK 3 (server
// unavailable); connected clients are unaffected.
import { credentials, Metadata, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  EdgeAuthServiceClient,
  AuthenticateRequest,
  CheckSessionsRequest,
  ReportActivityRequest,
  WriteLogsRequest,
  AuthenticateResponse_Result,
  Principal_Kind,
  Revocation_Kind,
  type AuthenticateResponse,
  type CheckSessionsResponse,
  type ListRegistryExportsResponse,
  type ListSourceTriggersResponse,
  type LookupDeviceResponse,
  type Principal as WirePrincipal,
  type LogSubject as WireLogSubject,
  type Revocation as WireRevocation,
} from '../../generated/iotcore/auth/v1/auth.js';
import type { AuthOutcome, OwnerKind, Principal } from '../../contracts/principal.js';
import type { RegistryLink } from '../../contracts/registry-link.js';
import { DEFAULT_LOG_POLICY, type LogSubject } from '../../contracts/connection-logs.js';
import type { FeedCursor, Revocation, RevocationHandler } from '../../contracts/revocations.js';
import { timed } from '../../common/dependency-metrics.js';

// Long enough for a registry whose database is busy with a burst of session writes (seen at 2 s on
// FerretDB in the no-loss test), short next to a device's CONNACK timeout (mqtt.js: 30 s).
const DEADLINE_MS = 5000;
const RESUBSCRIBE_MS = 1000;

export function grpcLink(options: {
  endpoint: string;
  token: string;
  /** Roots that verify the registry's certificate; plaintext without (--registry-plaintext). */
  ca?: Buffer;
  onStreamError?: (error: unknown) => void;
}): RegistryLink & { close(): void } {
  const client = new EdgeAuthServiceClient(
    options.endpoint,
    options.ca ? credentials.createSsl(options.ca) : credentials.createInsecure(),
    {
      'grpc.keepalive_time_ms': 10_000,
    },
  );
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${options.token}`);
  const unary = <Req, Res>(
    operation: string,
    method: (
      request: Req,
      metadata: Metadata,
      options: { deadline: Date },
      callback: (error: ServiceError | null, response: Res) => void,
    ) => unknown,
    request: Req,
  ) =>
    timed(
      'registry',
      operation,
      () =>
        new Promise<Res>((resolve, reject) =>
          method.call(client, request, metadata, { deadline: new Date(Date.now() + DEADLINE_MS) }, (error, response) =>
            error ? reject(error) : resolve(response),
          ),
        ),
    );

  const handlers = new Set<RevocationHandler>();
  let stream: ClientReadableStream<WireRevocation> | undefined;
  let closed = false;
  // The revocation stream doubles as the liveness signal of the registry service.
  let streamReady = false;
  let position: FeedCursor | undefined;
  const setLost = () => {
    if (!streamReady) return;
    streamReady = false;
    for (const handler of handlers) handler.lost();
  };
  const watch = () => {
    if (closed) return;
    stream = client.watchRevocations({ after_epoch: position?.epoch ?? '', after_seq: position?.seq ?? 0 }, metadata);
    stream.on('data', (revocation: WireRevocation) => {
      if (revocation.kind === Revocation_Kind.GAP) {
        for (const handler of handlers) handler.gap(revocation.reason);
        return;
      }
      const cursor = { epoch: revocation.epoch, seq: revocation.seq };
      position = cursor;
      if (revocation.kind === Revocation_Kind.READY) {
        streamReady = true;
        for (const handler of handlers) handler.ready(cursor);
        return;
      }
      const kind = Revocation_Kind[revocation.kind] as Revocation['kind'];
      for (const handler of handlers)
        handler.revocation(
          { kind, entity_id: revocation.entity_id, registry_id: revocation.registry_id, credential_id: revocation.credential_id },
          cursor,
        );
    });
    stream.on('error', (error: ServiceError) => {
      setLost();
      if (error.code !== status.CANCELLED) options.onStreamError?.(error);
    });
    stream.on('close', () => {
      setLost();
      setTimeout(watch, RESUBSCRIBE_MS).unref();
    });
  };
  watch();

  return {
    async authenticate(request) {
      const response = await unary<AuthenticateRequest, AuthenticateResponse>(
        'Authenticate',
        client.authenticate,
        AuthenticateRequest.fromPartial({
          username: request.username,
          password: request.password ?? Buffer.alloc(0),
          has_password: request.password !== undefined,
          certificate_fingerprint: request.certificate_fingerprint ?? '',
        }),
      );
      return outcome(response);
    },
    async lookupDevice(deviceId) {
      const response = await unary<{ device_id: string }, LookupDeviceResponse>('LookupDevice', client.lookupDevice, {
        device_id: deviceId,
      });
      return response.exists ? { registry_id: response.registry_id } : undefined;
    },
    async checkSessions(sessions) {
      const response = await unary<CheckSessionsRequest, CheckSessionsResponse>(
        'CheckSessions',
        client.checkSessions,
        CheckSessionsRequest.fromPartial({
          sessions: sessions.map((session) => ({ kind: WIRE_KINDS[session.kind], id: session.id, credential_id: session.credential_id })),
        }),
      );
      return response.results.map(outcome);
    },
    reachable: () => streamReady,
    /** From the link's own position: it keeps one stream to the registry and resumes it itself. */
    follow(after, handler) {
      if (after) throw new Error('the registry link follows revocations from its own position');
      handlers.add(handler);
      if (streamReady && position) handler.ready(position);
      return () => handlers.delete(handler);
    },
    async reportActivity(activities) {
      await unary('ReportActivity', client.reportActivity, ReportActivityRequest.fromPartial({ activities }));
    },
    async writeLogs(entries) {
      await unary('WriteLogs', client.writeLogs, WriteLogsRequest.fromPartial({ entries }));
    },
    async registryExports(registryId) {
      const response = await unary<{ registry_id: string }, ListRegistryExportsResponse>(
        'ListRegistryExports',
        client.listRegistryExports,
        {
          registry_id: registryId,
        },
      );
      return response.exports;
    },
    async sourceTriggers(kind, id) {
      const response = await unary<{ kind: string; id: string }, ListSourceTriggersResponse>(
        'ListSourceTriggers',
        client.listSourceTriggers,
        {
          kind,
          id,
        },
      );
      return response.triggers;
    },
    close() {
      closed = true;
      stream?.cancel();
      client.close();
    },
  };
}

const KINDS: Record<number, OwnerKind> = {
  [Principal_Kind.DEVICE]: 'device',
  [Principal_Kind.REGISTRY]: 'registry',
  [Principal_Kind.BROKER]: 'broker',
};
const WIRE_KINDS: Record<OwnerKind, Principal_Kind> = {
  device: Principal_Kind.DEVICE,
  registry: Principal_Kind.REGISTRY,
  broker: Principal_Kind.BROKER,
};

function outcome(response: AuthenticateResponse): AuthOutcome {
  if (response.result === AuthenticateResponse_Result.OK && response.principal)
    return { result: 'OK', principal: principal(response.principal) };
  const result = response.result === AuthenticateResponse_Result.BAD_USERNAME_OR_PASSWORD ? 'BAD_USERNAME_OR_PASSWORD' : 'NOT_AUTHORIZED';
  return { result, reason: response.reason, subject: response.subject && logSubject(response.subject) };
}

function logSubject(wire: WireLogSubject): LogSubject | undefined {
  const kind = KINDS[wire.kind];
  return kind && { kind, id: wire.id, registry_id: wire.registry_id, log_policy: wire.log_policy ?? DEFAULT_LOG_POLICY };
}

function principal(wire: WirePrincipal): Principal {
  const kind = KINDS[wire.kind];
  if (!kind) throw new Error(`registry answered with an unknown principal kind ${wire.kind}`);
  return {
    kind,
    id: wire.id,
    registry_id: wire.registry_id,
    folder_id: wire.folder_id,
    credential_id: wire.credential_id,
    topic_aliases: wire.topic_aliases,
    registry_aliases: wire.registry_aliases,
    log_policy: wire.log_policy,
    ...(wire.expires_at_ms ? { expires_at_ms: wire.expires_at_ms } : {}),
  };
}
