// Which clients have session state in the embedded store, kept in memory so that the usual CONNECT
// and disconnect of a clean session skip four LevelDB operations that would find nothing: aedes
// removes the client's stored subscriptions (an iterator), its inbound QoS 2 packets (a range
// delete) and its will (a read) on every clean CONNECT, and again at every close; and it reads the
// client's queue of outgoing QoS 1 messages (an iterator) on every CONNECT, clean or not. In a
// profile of a reconnect storm LevelDB was a third of the main thread's time, two thirds of that
// the first three (the restart storm went from 386–397 to 428–445 connects/s without them; README,
// Performance); the queue's iterator was then 17% of it.
// Wills too: every will this process stores names its own broker, so aedes' sweep for the wills of
// dead brokers (every 8 s; it read every stored will, 374 ms per sweep at 50,000) only has the
// wills found on disk at start to look at, until each is rewritten, deleted or published.
// One process owns the LevelDB database, so what it writes is all there is: the index starts
// from the keys on disk and follows every write. A client it lists may have nothing stored any more
// (the operation then runs as before); one it does not list has nothing, since it is listed before
// anything of it is written and unlisted before its state is removed.
import { Readable } from 'node:stream';
import type { ClassicLevel } from 'classic-level';

/** aedes-persistence-level's key prefixes, each followed by the encoded client ID. */
const KINDS = {
  subscriptions: 'subscriptions:',
  incoming: 'incoming:',
  will: 'will:',
  outgoing: 'outgoing:',
} as const;

type Kind = keyof typeof KINDS;

interface Client {
  id: string;
}

interface ClientState {
  addSubscriptions(client: Client, subscriptions: unknown[]): Promise<void>;
  cleanSubscriptions(client: Client): Promise<void>;
  incomingStorePacket(client: Client, packet: unknown): Promise<void>;
  cleanIncoming(client: Client): Promise<void>;
  putWill(client: Client, packet: unknown): Promise<void>;
  getWill(client: Client): Promise<{ brokerId?: string } | undefined>;
  delWill(client: Client): Promise<unknown>;
  /** The stored wills of brokers not in `brokers` (aedes' sweep). */
  streamWill(brokers?: Record<string, unknown>): Readable;
  /** Also what aedes-persistence-level's `outgoingEnqueueCombi` calls, once per subscriber. */
  outgoingEnqueue(subscriber: { clientId: string }, packet: unknown): Promise<void>;
  outgoingStream(client: Client): Readable;
}

/** The client ID of a key under `prefix` ("<prefix><encoded ID>[:<rest>]"). */
export function clientIdOfKey(prefix: string, key: string): string {
  const end = key.indexOf(':', prefix.length);
  return decodeURIComponent(key.slice(prefix.length, end === -1 ? undefined : end));
}

export async function withClientStateIndex<P>(persistence: P, db: ClassicLevel<string, Buffer>): Promise<P> {
  const listed = {} as Record<Kind, Set<string>>;
  for (const [kind, prefix] of Object.entries(KINDS) as Array<[Kind, string]>) {
    listed[kind] = new Set();
    for await (const key of db.keys({ gte: prefix, lt: `${prefix.slice(0, -1)};` })) listed[kind].add(clientIdOfKey(prefix, key));
  }
  const state = persistence as unknown as ClientState;
  const listBefore = <A extends unknown[], R>(kind: Kind, write: (client: Client, ...rest: A) => Promise<R>) =>
    noteBefore(state, write, (id) => listed[kind].add(id));
  /** The removal runs only for a listed client; for any other it finds nothing (undefined). */
  const skipUnlisted = <R>(kind: Kind, remove: (client: Client) => Promise<R>) => {
    const original = remove.bind(state);
    return (client: Client): Promise<R | undefined> => {
      // Unlisted first: a write racing the removal lists the client again.
      if (!listed[kind].delete(client.id)) return Promise.resolve(undefined);
      return original(client);
    };
  };
  state.addSubscriptions = listBefore('subscriptions', state.addSubscriptions);
  state.cleanSubscriptions = skipUnlisted('subscriptions', state.cleanSubscriptions);
  state.incomingStorePacket = listBefore('incoming', state.incomingStorePacket);
  state.cleanIncoming = skipUnlisted('incoming', state.cleanIncoming);
  state.putWill = listBefore('will', state.putWill);
  state.delWill = skipUnlisted('will', state.delWill);
  sweepOnlyInheritedWills(state, new Set(listed.will));
  // A queue is emptied one acknowledged message at a time, so its client stays listed: a listed
  // client with an empty queue only pays the read it paid before.
  const enqueue = state.outgoingEnqueue.bind(state);
  const readQueue = state.outgoingStream.bind(state);
  state.outgoingEnqueue = (subscriber, packet) => {
    listed.outgoing.add(subscriber.clientId);
    return enqueue(subscriber, packet);
  };
  state.outgoingStream = (client) => (listed.outgoing.has(client.id) ? readQueue(client) : Readable.from([]));
  return persistence;
}

/** aedes' will sweep reads only `inherited`: the clients whose will was on disk at start. */
function sweepOnlyInheritedWills(state: ClientState, inherited: Set<string>): void {
  const forget = (id: string) => inherited.delete(id);
  state.putWill = noteBefore(state, state.putWill, forget);
  state.delWill = noteBefore(state, state.delWill, forget);
  const getWill = state.getWill.bind(state);
  state.streamWill = (brokers = {}) =>
    Readable.from(
      (async function* () {
        for (const id of [...inherited]) {
          const will = await getWill({ id });
          if (!will) inherited.delete(id);
          else if (will.brokerId === undefined || brokers[will.brokerId] === undefined) yield will;
        }
      })(),
    );
}

/** `write` on `state`, with the client's ID handed to `note` first. */
function noteBefore<A extends unknown[], R>(
  state: ClientState,
  write: (client: Client, ...rest: A) => Promise<R>,
  note: (id: string) => unknown,
): (client: Client, ...rest: A) => Promise<R> {
  const original = write.bind(state);
  return (client, ...rest) => {
    note(client.id);
    return original(client, ...rest);
  };
}
