// Where iotcore spent its CPU during a benchmark: the `--cpu-prof` profiles Node wrote, reduced
// to self time per function (the flat view of a flame graph), as a Markdown table.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export async function summarizeCpuProfiles(dir: string, top: number): Promise<string> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  const selfMicros = new Map<string, number>();
  let totalMicros = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
    const names = new Map(profile.nodes.map((node) => [node.id, frameName(node.callFrame)]));
    profile.samples.forEach((id, index) => {
      const micros = profile.timeDeltas[index] ?? 0;
      const name = names.get(id)!;
      selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
      totalMicros += micros;
    });
  }
  const busy = totalMicros - (selfMicros.get('(idle)') ?? 0);
  const rows = [...selfMicros]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  return [
    `${files.length} profile(s), ${(busy / 1e6).toFixed(1)} s on CPU. Self time, share of busy time:`,
    '',
    '| function | self ms | share |',
    '|---|---:|---:|',
    ...rows.map(([name, micros]) => `| \`${name}\` | ${Math.round(micros / 1000)} | ${((100 * micros) / busy).toFixed(1)}% |`),
  ].join('\n');
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  if (!frame.url) return frame.functionName || '(anonymous)';
  const file = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}
