// `npm run fuzz`: runs the property-based fuzz targets (test/fuzz/README.md) and prints, per target,
// the inputs run, the time, inputs/s and failures; a failure prints fast-check's counterexample
// with the seed and path that replay it, and the run exits 1.
import { parseCommandLine, integerOption, UsageError } from '../../loadtest/command-line.js';
import { TARGETS } from './all-targets.js';
import { runTarget } from './run-target.js';

const NAMES = TARGETS.map((target) => target.name);
const USAGE = `usage: npm run fuzz -- [--runs N] [--target NAME] [--seed S [--path P]] [--time-limit SECONDS]
  --runs N              inputs per target (10000)
  --target NAME         one target: ${NAMES.join(', ')} (all)
  --seed S              fast-check seed: the same seed feeds the same inputs (random)
  --path P              with --seed: replay the counterexample a failure printed
  --time-limit SECONDS  stop each target after this long and report the inputs run so far
  -h, --help            this text
targets:
${TARGETS.map((target) => `  ${target.name.padEnd(16)} ${target.summary}`).join('\n')}`;

const options = parseCommandLine(
  {
    options: {
      runs: { type: 'string', default: '10000' },
      target: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      'time-limit': { type: 'string' },
    },
    allowPositionals: false,
  },
  USAGE,
  ({ values }) => {
    const targets = values.target === undefined ? TARGETS : TARGETS.filter((target) => target.name === values.target);
    if (targets.length === 0) throw new UsageError(`--target ${values.target}: expected one of ${NAMES.join(', ')}`);
    if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) throw new UsageError(`--seed ${values.seed}: expected an integer`);
    if (values.path !== undefined && values.seed === undefined) throw new UsageError('--path needs the --seed it was printed with');
    return {
      targets,
      runs: integerOption('--runs', values.runs),
      seed: values.seed === undefined ? undefined : Number(values.seed),
      path: values.path,
      timeLimitSeconds: values['time-limit'] === undefined ? undefined : integerOption('--time-limit', values['time-limit']),
    };
  },
);

let failed = false;
for (const target of options.targets) {
  const result = await runTarget(target, {
    ...options,
    onProgress: (inputs, seconds) =>
      console.log(`${target.name}: ${inputs} inputs so far, ${seconds.toFixed(0)} s, ${(inputs / seconds).toFixed(0)} inputs/s`),
  });
  const stopped = result.interrupted ? ` (time limit reached before ${options.runs})` : '';
  console.log(
    `${result.target}: ${result.inputs} inputs${stopped} in ${result.seconds.toFixed(1)} s, ${result.perSecond.toFixed(0)} inputs/s, ${result.failure ? 1 : 0} failures, seed ${result.seed}`,
  );
  if (result.failure) {
    failed = true;
    console.log(`${result.failure}\nreplay: npm run fuzz -- --target ${target.name} --seed=${result.seed} --runs ${options.runs}`);
  }
}
process.exit(failed ? 1 : 0);
