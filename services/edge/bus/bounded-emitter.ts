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

/** mqemitter's internals this module relies on (stable across 6.x–7.x). */
interface EmitterInternals extends mqemitter.MQEmitter {
  _do(message: mqemitter.Message, callback: (error?: Error) => void): unknown;
  _messageQueue: { push(item: unknown): unknown; shift(): unknown; length: number };
  _messageCallbacks: { push(item: unknown): unknown; shift(): unknown; length: number };
  readonly length: number;
  concurrency: number;
}

export interface BoundedEmitter {
  emitter: mqemitter.MQEmitter;
  /** QoS 0 messages dropped because the backlog was full. */
  dropped(): number;
  /** Messages waiting for a delivery slot. */
  backlog(): number;
}

const MAX_SYNC_DEPTH = 32;

export function boundedEmitter(options: { concurrency: number; maxQueuedMessages: number; onDrop?: () => void }): BoundedEmitter {
  const emitter = mqemitter({ concurrency: options.concurrency }) as EmitterInternals;
  emitter._messageQueue = new Denque();
  emitter._messageCallbacks = new Denque();
  const run = emitter._do.bind(emitter);
  let depth = 0;
  let dropped = 0;

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

  const emit = emitter.emit.bind(emitter);
  emitter.emit = (message, callback) => {
    if (emitter.length >= options.maxQueuedMessages && !((message as { qos?: number }).qos ?? 0)) {
      dropped++;
      options.onDrop?.();
      callback?.();
      return;
    }
    emit(message, callback);
  };

  return { emitter, dropped: () => dropped, backlog: () => emitter.length };
}
