// The in-process message bus, made safe under overload. Stock mqemitter drains its backlog by
// recursing (released → _do → released …) whenever a queued message completes synchronously, e.g.
// after its only subscriber went away; with a large backlog this overflows the stack and kills the
// process (field finding, upstream mcollina/mqemitter#204). Here the recursion is cut after a few
// levels and continued on the next turn of the event loop, and the backlog is bounded: past
// `maxQueuedMessages`, QoS 0 messages are dropped (and counted) while QoS 1 is never dropped.
// The backlog itself is a ring buffer: mqemitter queues in arrays and takes from the front with
// shift(), which copies the array once it is large (24% of CPU time in a profile under overload).
import mqemitter from 'mqemitter';
import Denque from 'denque';
import { Qlobber } from 'qlobber';
import { MQTT_TRIE } from './mqtt-trie.js';

/** mqemitter's internals this module relies on (stable across 6.x–7.x). */
interface EmitterInternals extends mqemitter.MQEmitter {
  _do(message: mqemitter.Message, callback: (error?: Error) => void): unknown;
  _messageQueue: { push(item: unknown): unknown; shift(): unknown; length: number };
  _messageCallbacks: { push(item: unknown): unknown; shift(): unknown; length: number };
  readonly length: number;
  concurrency: number;
  _matcher: Qlobber<unknown>;
}

export interface BoundedEmitter {
  emitter: mqemitter.MQEmitter;
  /** QoS 0 messages dropped because the backlog was full or they waited too long. */
  dropped(): number;
  /** Messages waiting for a delivery slot. */
  backlog(): number;
  /** Whether a message on `topic` would reach a listener now. */
  wants(topic: string): boolean;
}

const MAX_SYNC_DEPTH = 32;

/**
 * Topics whose split into levels the matcher keeps. Matching looks each level up in the filter
 * trie, and the levels of a fresh split are new strings, hashed again on every message; kept, they
 * are hashed once: 740 -> 490 ns per match of a device's events topic. About 280 bytes per topic
 * kept (18 MB when full); an edge's devices publish to a few topics each.
 */
const SPLIT_TOPICS_REMEMBERED = 65_536;

type Listener = (message: mqemitter.Message, done: () => void) => void;

function noop(): void {}

/** QoS 0 (or no QoS given): the only messages this bus may drop or stop waiting for. */
function isQos0(message: mqemitter.Message): boolean {
  return !(message as { qos?: number }).qos;
}

export interface BoundedEmitterOptions {
  concurrency: number;
  maxQueuedMessages: number;
  /** A QoS 0 message that waited longer than this for a delivery slot is dropped (0: never). */
  maxQueuedAgeMs?: number;
  onDrop?: (reason: 'slow_consumer' | 'stale') => void;
}

export function boundedEmitter(options: BoundedEmitterOptions): BoundedEmitter {
  const emitter = mqemitter({ concurrency: options.concurrency }) as EmitterInternals;
  // mqemitter's own matcher (MQTT's options) with qlobber's split cache, before any filter is added.
  emitter._matcher = new Qlobber({ ...MQTT_TRIE, cache_splits: SPLIT_TOPICS_REMEMBERED });
  let dropped = 0;
  const backlog = new AgedBacklog(options.maxQueuedAgeMs ?? 0, () => {
    dropped++;
    options.onDrop?.('stale');
  });
  emitter._messageQueue = backlog.messages;
  emitter._messageCallbacks = backlog.callbacks;
  const run = emitter._do.bind(emitter);
  let depth = 0;

  emitter._do = (message, callback) => {
    if (depth >= MAX_SYNC_DEPTH) {
      // Keep the slot counted while deferred so newer messages cannot overtake queued ones.
      emitter.current++;
      setImmediate(() => {
        emitter.current--;
        run(message, callback);
      });
      return emitter;
    }
    depth++;
    try {
      return run(message, callback);
    } finally {
      depth--;
    }
  };

  // A QoS 0 message frees its slot once its subscribers have been handed it: nothing waits for its
  // delivery, and aedes completes one only on a later turn (it writes on setImmediate), so under
  // open-loop load the slots, not the CPU, became the limit (loadtest/results/overload.md). A slow
  // subscriber's share is bounded per subscriber instead (hooks/authorize-forward.ts).
  const handedOver = new WeakMap<Listener, Listener>();
  const earlyRelease = (listener: Listener): Listener => {
    let wrapped = handedOver.get(listener);
    if (!wrapped) {
      wrapped = (message, done) => {
        if (!isQos0(message)) return listener(message, done);
        listener(message, noop);
        done();
      };
      handedOver.set(listener, wrapped);
    }
    return wrapped;
  };
  const on = emitter.on.bind(emitter);
  emitter.on = (topic, listener, callback) => on(topic, earlyRelease(listener), callback);
  const removeListener = emitter.removeListener.bind(emitter);
  emitter.removeListener = (topic, listener, callback) => removeListener(topic, handedOver.get(listener) ?? listener, callback);

  const emit = emitter.emit.bind(emitter);
  emitter.emit = (message, callback) => {
    if (emitter.length >= options.maxQueuedMessages && isQos0(message)) {
      dropped++;
      options.onDrop?.('slow_consumer');
      callback?.();
      return;
    }
    emit(message, callback);
  };

  return { emitter, dropped: () => dropped, backlog: () => emitter.length, wants: (topic) => emitter._matcher.match(topic).length > 0 };
}

interface Waiting {
  message: mqemitter.Message;
  callback?: (error?: Error) => void;
  at: number;
}

/**
 * The backlog as mqemitter uses it (two queues it pushes to and shifts from in step), kept as one
 * ring buffer of entries with their arrival time. Taking the next message first drops QoS 0
 * messages older than `maxAgeMs` from the front — the oldest go first — so what is delivered
 * under overload is recent; QoS 1 is never dropped.
 */
class AgedBacklog {
  readonly #entries = new Denque<Waiting>();
  #next: Waiting | undefined;
  readonly messages: { push(message: mqemitter.Message): unknown; shift(): unknown; readonly length: number };
  readonly callbacks: { push(callback: (error?: Error) => void): unknown; shift(): unknown; readonly length: number };

  constructor(
    private readonly maxAgeMs: number,
    private readonly onStale: () => void,
  ) {
    const entries = this.#entries;
    this.messages = {
      push: (message) => entries.push({ message, at: performance.now() }),
      shift: () => {
        this.#dropStale();
        this.#next = entries.shift();
        return this.#next?.message;
      },
      get length() {
        return entries.length;
      },
    };
    // mqemitter pushes a message's callback right after the message, and shifts it right after.
    this.callbacks = {
      push: (callback) => {
        entries.peekBack()!.callback = callback;
      },
      shift: () => this.#next?.callback,
      get length() {
        return entries.length;
      },
    };
  }

  #dropStale(): void {
    if (this.maxAgeMs <= 0) return;
    const oldest = performance.now() - this.maxAgeMs;
    for (let head = this.#entries.peekFront(); head && head.at < oldest && isQos0(head.message); head = this.#entries.peekFront()) {
      this.#entries.shift();
      this.onStale();
      head.callback?.();
    }
  }
}
