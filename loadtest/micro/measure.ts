// The timer of the micro-benchmarks, in the manner of Go's testing.B: a case runs its operation `n`
// times in a loop of its own, so the call under test is a call site the optimiser sees with one
// target (one shared loop calling every case through a function value would measure that call
// too). Its result goes into a sink so the work cannot be optimised away.

/** One row of a subject: `run` performs the operation `n` times and returns a value derived from the results. */
export interface Case {
  name: string;
  run: (n: number) => unknown;
}

/** Operations per second: the median of the samples and their spread. */
export interface Measurement {
  median: number;
  min: number;
  max: number;
}

/** Timed batches per case: an odd number, so the median is one of them; 7 outvotes a noisy neighbour's bursts. */
export const SAMPLES = 7;
export const SAMPLE_MS = 100;
const SAMPLE_NS = BigInt(SAMPLE_MS) * 1_000_000n;

// A property write on a module object: the optimiser cannot prove nobody reads it.
const sink: { value: unknown } = { value: undefined };

function timeBatch(run: Case['run'], n: number): bigint {
  const start = process.hrtime.bigint();
  sink.value = run(n);
  return process.hrtime.bigint() - start;
}

/** Warms `run` up, then times SAMPLES batches of a fixed size of about SAMPLE_MS each. */
export function measure(run: Case['run']): Measurement {
  // Calibration, which is also the first warm-up: double the batch until it takes a tenth of a
  // sample, then size it to a whole sample.
  let n = 1;
  let elapsed = timeBatch(run, n);
  while (elapsed < SAMPLE_NS / 10n) {
    n *= 2;
    elapsed = timeBatch(run, n);
  }
  n = Math.max(1, Math.round((n * Number(SAMPLE_NS)) / Number(elapsed)));
  // One untimed batch at full size, so the optimiser has settled before the samples.
  timeBatch(run, n);
  const rates = Array.from({ length: SAMPLES }, () => (n * 1e9) / Number(timeBatch(run, n))).sort((a, b) => a - b);
  return { median: rates[SAMPLES >> 1]!, min: rates[0]!, max: rates[SAMPLES - 1]! };
}
