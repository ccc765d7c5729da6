// Bounds what one persistent session may have queued (stored QoS 1 messages not yet acknowledged):
// at most `maxMessages` and `maxBytes` of payload, as Mosquitto's max_queued_messages does. Past
// either, a new message is not queued for that session (the others still get it) and is counted:
// the queue keeps the oldest messages, the ones the device missed first, and dropping the newest
// costs no extra write. Counting asks the store (exact, shared by every edge) every RECOUNT
// enqueues per session, and before a drop unless it did within the last RECOUNT_FULL_MS; in
// between, enqueues are counted locally. Asking reads the whole queue: recounting before every
// drop made each message to a full session cost a read of up to 1,000 stored messages, and the
// mqtt-packets fuzz target slowed from 1,700 to 130 inputs/s as full sessions piled up.
import { LRUCache } from 'lru-cache';
import { lazyCapacity } from '../../common/lazy-capacity.js';

export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
}

/** How much a session has queued, as the store holds it. */
export type QueuedCounter = (clientId: string) => Promise<{ messages: number; bytes: number }>;

interface Tally {
  messages: number;
  bytes: number;
  /** Enqueues counted locally since the store was last asked. */
  sinceCount: number;
  /** When the store was last asked (ms). */
  countedAt: number;
}

interface Enqueuing {
  outgoingEnqueue(sub: { clientId: string }, packet: { payload?: Buffer | string }): Promise<unknown>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: { payload?: Buffer | string }): Promise<unknown>;
}

const RECOUNT = 100;
/** A full queue may have been delivered on another edge: asked again before a drop once this is past. */
const RECOUNT_FULL_MS = 1000;
const MAX_TRACKED_SESSIONS = 100_000;

export function withQueueLimit<P>(persistence: P, limits: QueueLimits, queued: QueuedCounter, onDrop: (clientId: string) => void): P {
  const state = persistence as unknown as Enqueuing;
  // The single-session form: LevelDB's combined form calls it back through `this`, so the
  // combined form is rebuilt on it instead of wrapped (each message counted once either way).
  const enqueue = state.outgoingEnqueue.bind(state);
  const tallies = new LRUCache<string, Tally>(lazyCapacity(MAX_TRACKED_SESSIONS));
  const fits = (tally: Tally, bytes: number) => tally.messages < limits.maxMessages && tally.bytes + bytes <= limits.maxBytes;
  // Enqueues that find a session due for a recount while one is under way share it: each asking
  // on its own made a burst to one session a burst of whole-queue reads (FerretDB on PostgreSQL
  // spent two thirds of its time on them in loadtest/results/cluster-database.md).
  const recounting = new Map<string, Promise<Tally>>();
  const recount = (clientId: string): Promise<Tally> => {
    let pending = recounting.get(clientId);
    if (!pending) {
      pending = queued(clientId)
        .then((stored) => {
          const tally = { ...stored, sinceCount: 0, countedAt: Date.now() };
          tallies.set(clientId, tally);
          return tally;
        })
        .finally(() => recounting.delete(clientId));
      recounting.set(clientId, pending);
    }
    return pending;
  };
  const admit = async (clientId: string, bytes: number): Promise<boolean> => {
    let tally = tallies.get(clientId);
    const recountFull = (full: Tally) => !fits(full, bytes) && Date.now() - full.countedAt >= RECOUNT_FULL_MS;
    if (!tally || tally.sinceCount >= RECOUNT || recountFull(tally)) tally = await recount(clientId);
    if (!fits(tally, bytes)) return false;
    tally.messages++;
    tally.bytes += bytes;
    tally.sinceCount++;
    return true;
  };
  const admitted = async (subs: Array<{ clientId: string }>, packet: { payload?: Buffer | string }) => {
    const bytes = packet.payload ? Buffer.byteLength(packet.payload) : 0;
    const verdicts = await Promise.all(subs.map((sub) => admit(sub.clientId, bytes)));
    return subs.filter((sub, index) => {
      if (!verdicts[index]) onDrop(sub.clientId);
      return verdicts[index];
    });
  };
  // aedes calls this for every QoS 1 publish, mostly with no offline session to queue for.
  state.outgoingEnqueueCombi = async (subs, packet) => {
    if (subs.length === 0) return;
    await Promise.all((await admitted(subs, packet)).map((sub) => enqueue(sub, packet)));
  };
  state.outgoingEnqueue = async (sub, packet) => Promise.all((await admitted([sub], packet)).map((sub) => enqueue(sub, packet)));
  return persistence;
}
