// aedes pipes the stream of permanent-topic values (retained messages) a SUBSCRIBE matches without
// listening for its errors, so a store failing mid-read (MongoDB away, LevelDB closing under a
// shutdown) was an uncaught exception that ended the process. Here a failed read is reported and
// ends the stream: the subscription stands, only the stored values not yet read are not sent.
import { Readable } from 'node:stream';

interface RetainedReads {
  createRetainedStreamCombi(patterns: string[]): Readable;
}

export function withRetainedReadGuard<P>(persistence: P, onError: (error: unknown) => void): P {
  const store = persistence as unknown as RetainedReads;
  const read = store.createRetainedStreamCombi.bind(store);
  store.createRetainedStreamCombi = (patterns) =>
    Readable.from(
      (async function* () {
        try {
          yield* read(patterns);
        } catch (error) {
          onError(error);
        }
      })(),
    );
  return persistence;
}
