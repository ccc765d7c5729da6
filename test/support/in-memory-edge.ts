// An edge with its real hooks and no sockets, for the hook tests and the fuzzer: the registry is a
// table in memory (the RegistryLink contract), and each MQTT connection is a pair of in-memory
// streams speaking mqtt-packet, as aedes' own handler tests do.
import { Duplex, PassThrough } from 'node:stream';
import { pino } from 'pino';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { startEdge, type EdgeOptions, type RunningEdge } from '../../services/edge/edge.js';
import type { AuthOutcome, AuthRequest, DeviceAlias, Principal } from '../../services/contracts/principal.js';
import type { DeviceActivity, RegistryLink, SessionRef } from '../../services/contracts/registry-link.js';
import type { FeedCursor, RevocationHandler } from '../../services/contracts/revocations.js';
import type { ConnectionLogEntry } from '../../services/contracts/connection-logs.js';
import type { RegistryExport } from '../../services/contracts/data-stream-export.js';
import type { TriggerRule } from '../../services/contracts/trigger.js';
import type { ConnectionInfo } from '../../services/edge/transport/listeners.js';

interface Entity {
  principal: Principal;
  password: string;
  /** Refused with NOT_AUTHORIZED although the password is right (a disabled registry's device). */
  disabled?: boolean;
}

const principal = (fields: Pick<Principal, 'kind' | 'id' | 'registry_id'> & Partial<Principal>): Principal => ({
  folder_id: 'folder',
  credential_id: 'password-1',
  topic_aliases: {},
  registry_aliases: [],
  ...fields,
});

export const principals = {
  device: (id: string, registryId: string, topicAliases: Record<string, string> = {}) =>
    principal({ kind: 'device', id, registry_id: registryId, topic_aliases: topicAliases }),
  registry: (id: string, aliases: DeviceAlias[] = []) => principal({ kind: 'registry', id, registry_id: id, registry_aliases: aliases }),
  broker: (id: string) => principal({ kind: 'broker', id, registry_id: '' }),
};

/** The registry as a table: usernames with their passwords and principals. */
export class InMemoryRegistryLink implements RegistryLink {
  readonly #entities = new Map<string, Entity>();
  readonly activity: DeviceActivity[] = [];
  /** How many CONNECTs reached the registry (the brute-force brake answers the others). */
  authentications = 0;
  /** False: every call rejects, as an unreachable registry service does. */
  available = true;
  /** How long a password check takes (the registry's slow hash). */
  latencyMs = 0;

  add(entity: Entity): this {
    this.#entities.set(entity.principal.id, entity);
    return this;
  }

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    this.authentications++;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.#reachable();
    const entity = this.#entities.get(request.username);
    if (!entity || request.password?.toString('utf8') !== entity.password)
      return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'wrong username or password' };
    if (entity.disabled) return { result: 'NOT_AUTHORIZED', reason: `${entity.principal.kind} is disabled` };
    return { result: 'OK', principal: entity.principal };
  }

  async registryExports(): Promise<RegistryExport[]> {
    this.#reachable();
    return [];
  }

  async sourceTriggers(): Promise<TriggerRule[]> {
    this.#reachable();
    return [];
  }

  async lookupDevice(deviceId: string): Promise<{ registry_id: string } | undefined> {
    this.#reachable();
    const entity = this.#entities.get(deviceId);
    return entity?.principal.kind === 'device' ? { registry_id: entity.principal.registry_id } : undefined;
  }

  async checkSessions(sessions: SessionRef[]): Promise<AuthOutcome[]> {
    this.#reachable();
    return sessions.map(({ id }) => {
      const entity = this.#entities.get(id);
      return entity ? { result: 'OK', principal: entity.principal } : { result: 'NOT_AUTHORIZED', reason: 'no longer exists' };
    });
  }

  async reportActivity(activities: DeviceActivity[]): Promise<void> {
    this.activity.push(...activities);
  }

  /** Connection-log entries the edge sent, in order. */
  readonly logs: ConnectionLogEntry[] = [];

  async writeLogs(entries: ConnectionLogEntry[]): Promise<void> {
    this.#reachable();
    this.logs.push(...entries);
  }

  /** No revocations ever happen here: the feed is live and empty. */
  follow(_after: FeedCursor | undefined, handler: RevocationHandler): () => void {
    queueMicrotask(() => handler.ready({ epoch: 'memory', seq: 0 }));
    return () => undefined;
  }

  #reachable(): void {
    if (!this.available) throw new Error('registry service unavailable');
  }
}

export async function startInMemoryEdge(link: RegistryLink, options: Partial<EdgeOptions> = {}): Promise<RunningEdge> {
  return startEdge({ link, logger: pino({ level: 'silent' }), maxMessageBytes: 256 * 1024, ...options });
}

const PACKET_TIMEOUT_MS = 2000;

/** One MQTT 3.1.1 connection to an in-memory edge, at the packet level. */
export class PacketConnection {
  readonly #toBroker = new PassThrough();
  readonly #received: Packet[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  /** Resolves when the edge closes the connection. */
  readonly closed: Promise<void>;

  constructor(edge: RunningEdge, info: Partial<ConnectionInfo> = {}) {
    const fromBroker = new PassThrough();
    const serverSide = Duplex.from({ readable: this.#toBroker, writable: fromBroker });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => {
      this.#received.push(packet);
      this.#waiter?.();
    });
    fromBroker.on('data', (chunk: Buffer) => parser.parse(chunk));
    this.closed = new Promise((resolve) =>
      serverSide.once('close', () => {
        this.#closed = true;
        this.#waiter?.();
        resolve();
      }),
    );
    edge.accept(serverSide, { remoteAddress: '127.0.0.1', remotePort: 50_000, ...info });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  send(packet: Packet): void {
    this.#toBroker.write(mqttPacket.generate(packet));
  }

  sendBytes(bytes: Buffer): void {
    this.#toBroker.write(bytes);
  }

  /** The next packet the edge sends, of the command given; rejects on close or after 2 s. */
  async next<C extends Packet['cmd']>(cmd: C): Promise<Extract<Packet, { cmd: C }>> {
    const deadline = Date.now() + PACKET_TIMEOUT_MS;
    for (;;) {
      const index = this.#received.findIndex((packet) => packet.cmd === cmd);
      if (index >= 0) return this.#received.splice(index, 1)[0] as Extract<Packet, { cmd: C }>;
      if (this.#closed) throw new Error(`connection closed before ${cmd}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${cmd} within ${PACKET_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Whether a packet of `cmd` arrives within `ms` (for "nothing is delivered"). */
  async receives(cmd: Packet['cmd'], ms = 150): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#received.some((packet) => packet.cmd === cmd);
  }

  async connect(fields: Partial<IConnectPacket>): Promise<number> {
    this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'client', ...fields });
    return (await this.next('connack')).returnCode ?? -1;
  }

  async subscribe(filters: Array<[topic: string, qos: 0 | 1 | 2]>, messageId = 1): Promise<number[]> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: filters.map(([topic, qos]) => ({ topic, qos })) });
    return (await this.next('suback')).granted as number[];
  }

  publish(topic: string, payload: string, qos: 0 | 1 = 0, messageId = 1): void {
    this.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, messageId, retain: false, dup: false });
  }

  end(): void {
    this.#toBroker.end();
  }
}

/** A connection that has been accepted with CONNACK 0. */
export async function connected(
  edge: RunningEdge,
  username: string,
  password: string,
  fields: Partial<IConnectPacket> = {},
): Promise<PacketConnection> {
  const connection = new PacketConnection(edge);
  const code = await connection.connect({ clientId: `${username}-client`, username, password: Buffer.from(password), ...fields });
  if (code !== 0) throw new Error(`CONNACK ${code} for ${username}`);
  return connection;
}
