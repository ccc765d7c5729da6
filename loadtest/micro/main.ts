// `npm run bench:micro`: operations per second of the edge's hot pure functions, a file per subject,
// in the manner of the NATS server's sublist benchmarks. Figures are for comparing a change with
// its parent in the same session, not capacities (loadtest/README.md, `npm run bench:micro`).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listOption, parseCommandLine, UsageError } from '../command-line.js';
import { measure, SAMPLE_MS, SAMPLES, type Case } from './measure.js';
import { TABLE_HEADER, tableRow } from './report.js';
import { topicPolicyCases } from './topic-policy.js';
import { filterMatchingCases } from './filter-matching.js';
import { aliasResolutionCases } from './alias-resolution.js';
import { deliveryDedupCases } from './delivery-dedup.js';
import { mqttPacketCases } from './mqtt-packets.js';

/** Subjects in the order they run; each builds its fixtures only when it is chosen. */
const SUBJECTS: Record<string, () => Case[]> = {
  policy: topicPolicyCases,
  filters: filterMatchingCases,
  aliases: aliasResolutionCases,
  dedup: deliveryDedupCases,
  'mqtt-packet': mqttPacketCases,
};

const USAGE = `usage: npm run bench:micro -- [options]
  --only LIST     subjects to run, comma-separated (all): ${Object.keys(SUBJECTS).join(', ')}
  --out FILE      where the Markdown table goes (loadtest/results/micro.md)
  -h, --help      this text`;

const { subjects, outFile } = parseCommandLine(
  { options: { only: { type: 'string' }, out: { type: 'string', default: 'loadtest/results/micro.md' } }, allowPositionals: true },
  USAGE,
  ({ values: args, positionals }) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    return {
      subjects: listOption('--only', args.only ?? Object.keys(SUBJECTS).join(','), Object.keys(SUBJECTS)),
      outFile: args.out,
    };
  },
);

const cpus = os.cpus();
const command = `npm run bench:micro${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const lines = [
  '# Micro-benchmarks',
  '',
  `\`${command}\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.platform()} ${os.arch()},`,
  `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), load average ${os.loadavg()[0]!.toFixed(1)} at the start.`,
  `Each row: the median of ${SAMPLES} timed batches of about ${SAMPLE_MS} ms after a warm-up, and their spread (min–max).`,
  'Compare a change with its parent run in the same session on the same machine: on a shared machine',
  'the figures are not absolute (loadtest/README.md, `npm run bench:micro`).',
  '',
  TABLE_HEADER,
];
console.log(lines.join('\n'));
for (const [subject, cases] of Object.entries(SUBJECTS)) {
  if (!subjects.has(subject)) continue;
  for (const { name, run } of cases()) {
    const row = tableRow(subject, name, measure(run));
    lines.push(row);
    console.log(row);
  }
}
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(outFile, `${lines.join('\n')}\n`);
console.log(`\nwritten to ${outFile}`);
