// Runs one fuzz target under fast-check and measures it: inputs, seconds, inputs/s, and on a
// failure the shrunk counterexample with the seed and path that replay it.
import fc from 'fast-check';
import type { FuzzTarget } from './target.js';
import { watchForCrashes } from './support/crash-watch.js';

export interface RunOptions {
  runs: number;
  /** fast-check seed; random when omitted. */
  seed?: number;
  /** With `seed`: the counterexample path a failure printed, to replay exactly that input. */
  path?: string;
  /** Stop after this many seconds, reporting the inputs run so far (a long run on a slow target). */
  timeLimitSeconds?: number;
  /** Called now and then during a run (long runs print it). */
  onProgress?: (inputs: number, seconds: number) => void;
}

export interface RunResult {
  target: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  seed: number;
  /** Stopped by the time limit before `runs` inputs. */
  interrupted: boolean;
  /** fast-check's report of the failure (counterexample, seed, path, error); absent when none. */
  failure?: string;
}

/** One input taking longer than this is a hang. */
const HANG_MS = 15_000;
const PROGRESS_EVERY_MS = 30_000;

export async function runTarget(target: FuzzTarget, options: RunOptions): Promise<RunResult> {
  const session = await target.start();
  const crashes = watchForCrashes();
  const started = performance.now();
  let inputs = 0;
  let reportedAt = started;
  const property = fc.asyncProperty(session.inputs, async (input) => {
    inputs++;
    if (options.onProgress && performance.now() - reportedAt > PROGRESS_EVERY_MS) {
      reportedAt = performance.now();
      options.onProgress(inputs, (reportedAt - started) / 1000);
    }
    await session.check(input);
    crashes.rethrow();
  });
  try {
    const details = await fc.check(property, {
      numRuns: options.runs,
      seed: options.seed,
      path: options.path,
      timeout: HANG_MS,
      interruptAfterTimeLimit: options.timeLimitSeconds === undefined ? undefined : options.timeLimitSeconds * 1000,
      markInterruptAsFailure: false,
      includeErrorInReport: true,
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      target: target.name,
      inputs: details.numRuns,
      seconds,
      perSecond: details.numRuns / seconds,
      seed: details.seed,
      interrupted: details.interrupted,
      failure: details.failed ? fc.defaultReportMessage(details) : undefined,
    };
  } finally {
    crashes.stop();
    await session.close();
  }
}
