// The one place that touches aedes' internals: fields and call forms its typings leave out, the
// two methods iotcore wraps, and mqtt-packet's `writeToStream`, through which aedes writes every
// packet (for CONNACK's Session Present). Everything here was read from aedes 1.2.0 (package.json
// pins it, and mqemitter, exactly); `checkAedesShape` runs at start-up and refuses to run on an
// aedes whose internals no longer look like that, naming what changed, instead of failing later in
// traffic.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { MQEmitter } from 'mqemitter';
import mqttPacket from 'mqtt-packet';

type Done = (error?: Error) => void;

/** What iotcore reads and writes on an aedes 1.2 client. */
interface ClientInternals {
  id: string;
  /** CleanSession of the CONNECT. */
  clean: boolean;
  /** The will of the CONNECT, set before authenticate runs (and stored under `will` after it). */
  _will: { topic: string; retain: boolean } | null;
  will: unknown;
  /** aedes' per-broker counter dedup (replaced: see bus/recent-deliveries.ts). */
  duplicates: object;
  /** mqtt-packet's parser of this connection. */
  _parser: EventEmitter;
  /** True once the client sent DISCONNECT. */
  _disconnected: boolean;
  /** True once aedes started closing the client. */
  closed: boolean;
  subscriptions: Record<string, unknown>;
  close(done?: () => void): void;
  /** Stops reading the connection; aedes resumes it once CONNACK 0 is sent. */
  pause(): void;
  /** The connection's stream. */
  conn: EventEmitter;
  /** Set once CONNACK is written. */
  connackSent: boolean;
  /** The packet identifier aedes gives the next QoS 1 delivery without one (1…65535, wrapping). */
  _nextId: number;
  /** What each subscription of the client delivers through (read when the subscription is made). */
  deliver0: Deliver;
  deliverQoS: Deliver;
}

type Deliver = (packet: unknown, done: () => void) => void;

interface BrokerInternals {
  id: string;
  clients: Record<string, Client>;
  persistence: { delWill(client: { id: string; brokerId: string }): Promise<unknown> };
  publish(packet: PublishPacket, client: Client | null | Done | undefined, done?: Done): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

const client = (c: Client) => c as unknown as ClientInternals;
const broker = (b: Aedes) => b as unknown as BrokerInternals;

/** Throws, naming each internal that is missing or changed, unless aedes looks as read here. */
export function checkAedesShape(aedes: Aedes): void {
  const problems: string[] = [];
  const b = broker(aedes);
  if (typeof b.id !== 'string') problems.push('broker.id (string)');
  if (typeof b.clients !== 'object' || b.clients === null) problems.push('broker.clients (object by client ID)');
  if (typeof b.persistence?.delWill !== 'function') problems.push('broker.persistence.delWill()');
  if (typeof b.publish !== 'function' || b.publish.length < 2) problems.push('broker.publish(packet, client, done)');
  // A client on a stream that never sends CONNECT: its constructor sets every field read here.
  const stream = new PassThrough();
  const probe = client(aedes.handle(stream));
  const expected: Array<[keyof ClientInternals, (value: unknown) => boolean]> = [
    ['clean', (value) => typeof value === 'boolean'],
    ['_will', (value) => value === null],
    ['will', (value) => value === null],
    ['duplicates', (value) => typeof value === 'object' && value !== null],
    ['_parser', (value) => value instanceof EventEmitter],
    ['_disconnected', (value) => value === false],
    ['closed', (value) => value === false],
    ['subscriptions', (value) => typeof value === 'object' && value !== null],
    ['close', (value) => typeof value === 'function'],
    ['pause', (value) => typeof value === 'function'],
    ['conn', (value) => value === stream],
    ['connackSent', (value) => value === false],
    ['_nextId', (value) => typeof value === 'number' && value >= 1 && value <= 65535],
    ['deliver0', (value) => typeof value === 'function'],
    ['deliverQoS', (value) => typeof value === 'function'],
  ];
  for (const [field, ok] of expected) if (!ok(probe[field])) problems.push(`client.${field}`);
  try {
    probe.close();
  } catch {
    // A client that cannot close is already reported above; its CONNECT timer must not keep the
    // process alive while it reports the problem and exits.
    (probe as unknown as { _connectTimer?: NodeJS.Timeout })._connectTimer?.unref();
  }
  stream.destroy();
  if (problems.length > 0) {
    throw new Error(
      `aedes internals iotcore relies on have changed (read from aedes 1.2.0; see services/edge/aedes/internals.ts): ${problems.join(', ')}`,
    );
  }
}

/**
 * The connections whose CONNACK says Session Present although aedes, which sets it only when it
 * finds stored subscriptions, did not. aedes builds the CONNACK inside its CONNECT steps and writes
 * it through mqtt-packet's `writeToStream` (the same module object as this one's import), so that
 * is where the flag is set.
 */
const sessionsPresent = new WeakSet<object>();
const writeToStream = mqttPacket.writeToStream;
mqttPacket.writeToStream = Object.assign(
  (packet: mqttPacket.Packet, stream: NodeJS.WritableStream, options?: object) =>
    writeToStream(
      packet.cmd === 'connack' && sessionsPresent.delete(stream) && packet.returnCode === 0 ? { ...packet, sessionPresent: true } : packet,
      stream,
      options,
    ),
  { cacheNumbers: writeToStream.cacheNumbers },
);

/** The connected client's will, taken from aedes, which then neither publishes nor deletes it at close. */
function takeWill(c: Client): PublishPacket | undefined {
  const will = client(c).will as PublishPacket | null;
  client(c).will = null;
  client(c)._will = null;
  return will ?? undefined;
}

export const aedesInternals = {
  brokerId: (aedes: Aedes): string => broker(aedes).id,
  clients: (aedes: Aedes): Client[] => Object.values(broker(aedes).clients),
  clientById: (aedes: Aedes, id: string): Client | undefined => broker(aedes).clients[id],
  /** Deletes the stored will of a client of any broker; resolves truthy when this call deleted it. */
  deleteStoredWill: (aedes: Aedes, will: { clientId: string; brokerId: string }) =>
    broker(aedes).persistence.delWill({ id: will.clientId, brokerId: will.brokerId }),
  onError: (aedes: Aedes, listener: (error: Error) => void) => broker(aedes).on('error', listener),

  /** Publishes as `publisher` (its own message for aedes), done when stored and handed to the bus. */
  publishAs(aedes: Aedes, packet: PublishPacket, publisher: Client, done: Done): void {
    broker(aedes).publish(packet, publisher, done);
  },

  /** Ends `broker.publish` right away for packets `skip` names (both of its call forms). */
  skipPublish(aedes: Aedes, skip: (packet: PublishPacket) => boolean): void {
    const b = broker(aedes);
    const publish = b.publish.bind(b);
    b.publish = (packet, publisher, done) => {
      if (!skip(packet)) return publish(packet, publisher, done);
      (typeof publisher === 'function' ? publisher : done)?.();
    };
  },

  /** Ends `mq.emit` right away for messages `skip` names (they never leave the process). */
  skipEmit(mq: MQEmitter, skip: (topic: string) => boolean): void {
    const emit = mq.emit.bind(mq);
    mq.emit = (message, callback) => (skip(message.topic) ? callback?.() : emit(message, callback));
  },

  isClean: (c: Client): boolean => client(c).clean,
  /** The will of the CONNECT being authenticated; editable in place (aedes stores this object). */
  pendingWill: (c: Client) => client(c)._will ?? undefined,
  isWill: (c: Client, packet: unknown): boolean => packet === client(c).will,
  /** A client moving elsewhere is not going offline: drop its will before aedes closes it. */
  forgetWill(c: Client): void {
    takeWill(c);
  },
  takeWill,
  /** Replaces aedes' per-broker counter check with one that lets every message through. */
  disableCounterDedup(c: Client): void {
    client(c).duplicates = NO_COUNTER_DEDUP;
  },
  /**
   * Makes aedes close the connection over a parsed packet it would otherwise handle: it is handed
   * on as a packet of no type aedes knows, which aedes answers by closing (handlers/index.js).
   */
  closeOver(packet: { cmd: string }): void {
    packet.cmd = 'malformed';
  },
  /** Sees each parsed packet before aedes handles it; `length` is its remaining length. */
  beforeEachPacket(c: Client, listener: (packet: { cmd: string; length: number }) => void): void {
    client(c)._parser.prependListener('packet', listener);
  },
  disconnectedByClient: (c: Client): boolean => client(c)._disconnected,
  /** Bytes written to the client's connection that have not reached its socket yet. */
  unsentBytes: (c: Client): number => (client(c).conn as { writableLength?: number }).writableLength ?? 0,
  isClosing: (c: Client): boolean => client(c).closed,
  /** Calls `listener` once the client's connection has closed, or now if aedes is closing it already. */
  whenClosed(c: Client, listener: () => void): void {
    if (client(c).closed) listener();
    else client(c).conn.once('close', listener);
  },
  /**
   * Reads nothing more from the client until its CONNECT is accepted. aedes pauses only once
   * authentication starts, a turn after CONNECT, and handled packets arriving in between.
   */
  holdInputUntilConnected: (c: Client): void => client(c).pause(),
  /**
   * Deliveries to the client wait until its CONNACK is written [MQTT-3.2.0-1]. aedes restores a
   * persistent session's subscriptions before it sends CONNACK, and with a store that answers
   * asynchronously (LevelDB, MongoDB) messages published in between reached the client first.
   */
  holdDeliveriesUntilConnack(c: Client): void {
    const internals = client(c);
    // Released by CONNACK (releaseHeldDeliveries), or by the connection closing first.
    const connacked = new Promise<void>((resolve) => {
      connackWaiters.set(c, resolve);
      internals.conn.once('close', resolve);
    });
    for (const name of ['deliver0', 'deliverQoS'] as const) {
      const deliver = internals[name];
      internals[name] = (packet, done) => {
        if (internals.connackSent) return deliver(packet, done);
        // The bus is told at once: a CONNECT waiting on a busy store must not stall every delivery.
        done();
        // A persistent session's QoS 1 message is already in its stored queue, which aedes sends
        // right after CONNACK: a held copy would race it, and the later of the two made aedes clear
        // the stored message or fail the session with "no such packet".
        if (name === 'deliverQoS' && !internals.clean && ((packet as { qos?: number }).qos ?? 0) > 0) return;
        void connacked.then(() => {
          if (internals.connackSent) deliver(packet, () => undefined);
        });
      };
    }
  },
  /** The client's CONNACK, if it accepts the connection, says Session Present [MQTT-3.2.2-2]. */
  reportSessionPresent(c: Client): void {
    sessionsPresent.add(client(c).conn);
  },
  /** Lets each client's held deliveries go once its CONNACK is written. */
  releaseHeldDeliveries(aedes: Aedes): void {
    aedes.on('connackSent', (_packet, c) => {
      connackWaiters.get(c)?.();
      connackWaiters.delete(c);
    });
  },
  subscriptionCount: (c: Client): number => Object.keys(client(c).subscriptions).length,
  /** CONNACK written and not closing: a delivery now reaches the client or is known unacknowledged. */
  isConnected: (c: Client): boolean => client(c).connackSent && !client(c).closed,
  /** Delivers a packet to one client as its subscriptions do (QoS 0, or QoS 1 with a packet identifier). */
  deliverTo(c: Client, packet: PublishPacket, qos: number): void {
    (qos > 0 ? client(c).deliverQoS : client(c).deliver0)(packet, () => undefined);
  },
  /**
   * The next QoS 1 delivery gets packet identifier 1, as in Mosquitto. aedes starts each connection
   * at a random one so that new deliveries rarely reuse the identifier of a stored one resent;
   * a clean session has none.
   */
  startMessageIdsAtOne(c: Client): void {
    client(c)._nextId = 1;
  },
  /**
   * Takes the packet identifier aedes would give the next QoS 1 delivery; a delivery that carries it
   * is sent under it (aedes' QoSPacket keeps an identifier it is given), so a PUBACK can be told apart.
   */
  takeMessageId(c: Client): number {
    const internals = client(c);
    const id = internals._nextId;
    internals._nextId = id >= 65535 ? 1 : id + 1;
    return id;
  },
};

const connackWaiters = new WeakMap<Client, () => void>();

/**
 * Reads as "nothing seen yet" for every broker, whatever aedes writes into it. aedes reads
 * `duplicates[brokerId]` before it writes it; the first read of a broker's ID makes that ID an
 * accessor reading 0 and ignoring writes, so every later delivery uses it as an ordinary property.
 * (A Proxy trapping every read and write cost 0.4 µs per delivery, 5% of a QoS 0 message's.)
 */
const readsZero = () => 0;
const ignoresWrites = () => undefined;
const NO_COUNTER_DEDUP: object = Object.create(
  new Proxy(Object.create(null), {
    get(_target, brokerId, receiver: object) {
      Object.defineProperty(receiver, brokerId, { get: readsZero, set: ignoresWrites, configurable: true });
      return 0;
    },
  }),
);
