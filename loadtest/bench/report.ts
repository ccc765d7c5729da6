// The benchmark's table: absolute figures per broker, iotcore's ratio to each baseline, and the
// issue's targets (met or not), printed and written as JSON and Markdown.
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Figures } from './scenarios.js';

export const IOTCORE = 'iotcore';
export const MOSQUITTO = 'mosquitto';
/** Mosquitto with a password file and an ACL, as a user choosing it would run it (brokers.ts). */
export const MOSQUITTO_AUTH = 'mosquitto with auth';
export const AEDES = 'plain aedes';
export const IOTCORE_CLUSTER = 'iotcore cluster';
export const AEDES_CLUSTER = 'aedes + mqemitter-redis';

interface Target {
  /** The baseline the ratio is taken against ('absolute': the figure itself). */
  against: typeof MOSQUITTO | typeof MOSQUITTO_AUTH | typeof AEDES | typeof AEDES_CLUSTER | 'absolute';
  /** iotcore / baseline must be at least this (higher is better) or at most this (lower is better). */
  bound: number;
}

interface Measurement {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  cluster?: boolean;
  targets?: Target[];
}

const THROUGHPUT: Target[] = [
  { against: AEDES, bound: 0.9 },
  { against: MOSQUITTO, bound: 1.0 },
];
/** Connect storms with passwords (#17 item 4): a reconnecting or migrated fleet is let in nearly as fast as without any. */
const STORM: Target[] = [
  { against: AEDES, bound: 0.8 },
  { against: MOSQUITTO_AUTH, bound: 0.5 },
];
/** QoS 1 (#17): at least plain aedes and Mosquitto run with authentication and an ACL. */
const QOS1_THROUGHPUT: Target[] = [
  { against: AEDES, bound: 1.0 },
  { against: MOSQUITTO_AUTH, bound: 1.0 },
];

export const MEASUREMENTS: Measurement[] = [
  { id: 'a.qos0.rate', label: '(a) fan-in QoS 0', unit: 'msg/s', better: 'higher', targets: THROUGHPUT },
  { id: 'a.qos1.rate', label: '(a) fan-in QoS 1', unit: 'msg/s', better: 'higher', targets: QOS1_THROUGHPUT },
  // The broker process's own CPU per delivered message: less at the mercy of a noisy machine than
  // throughput, which the load generator on the same cores also decides.
  { id: 'a.qos0.cpu-us', label: '(a) fan-in QoS 0 broker CPU per message', unit: 'µs', better: 'lower' },
  { id: 'a.qos1.cpu-us', label: '(a) fan-in QoS 1 broker CPU per message', unit: 'µs', better: 'lower' },
  { id: 'a.qos0.p99', label: '(a) fan-in QoS 0 p99 at saturation', unit: 'ms', better: 'lower' },
  { id: 'a.qos1.p99', label: '(a) fan-in QoS 1 p99 at saturation', unit: 'ms', better: 'lower' },
  { id: 'a.qos0.paced.rate', label: '(a) QoS 0 paced at 50% of Mosquitto peak', unit: 'msg/s', better: 'higher' },
  { id: 'a.qos0.paced.p50', label: '(a) QoS 0 p50 at 50% of Mosquitto peak', unit: 'ms', better: 'lower' },
  {
    id: 'a.qos0.paced.p99',
    label: '(a) QoS 0 p99 at 50% of Mosquitto peak',
    unit: 'ms',
    better: 'lower',
    targets: [{ against: MOSQUITTO, bound: 2 }],
  },
  { id: 'a.qos1.paced.rate', label: '(a) QoS 1 paced at 50% of Mosquitto peak', unit: 'msg/s', better: 'higher' },
  { id: 'a.qos1.paced.p50', label: '(a) QoS 1 p50 at 50% of Mosquitto peak', unit: 'ms', better: 'lower' },
  {
    id: 'a.qos1.paced.p99',
    label: '(a) QoS 1 p99 at 50% of Mosquitto peak',
    unit: 'ms',
    better: 'lower',
    targets: [{ against: MOSQUITTO, bound: 2 }],
  },
  {
    id: 'b.qos1.rate',
    label: '(b) commands registry → each device, QoS 1',
    unit: 'msg/s',
    better: 'higher',
    targets: QOS1_THROUGHPUT,
  },
  { id: 'b.qos1.p99', label: '(b) commands p99', unit: 'ms', better: 'lower' },
  { id: 'c.qos0.rate', label: '(c) fan-out QoS 0', unit: 'deliveries/s', better: 'higher', targets: THROUGHPUT },
  { id: 'c.qos1.rate', label: '(c) fan-out QoS 1', unit: 'deliveries/s', better: 'higher', targets: THROUGHPUT },
  { id: 'd.first.rate', label: '(d) connect storm, first time (TLS, password)', unit: 'connects/s', better: 'higher' },
  { id: 'd.first.p99', label: '(d) first connect p99', unit: 'ms', better: 'lower' },
  {
    id: 'd.reconnect.rate',
    label: '(d) reconnect storm (TLS, password)',
    unit: 'connects/s',
    better: 'higher',
    targets: STORM,
  },
  { id: 'd.reconnect.p99', label: '(d) reconnect p99', unit: 'ms', better: 'lower' },
  { id: 'd.reconnect.cpu-us', label: '(d) reconnect broker CPU per connect', unit: 'µs', better: 'lower' },
  {
    id: 'd.restart.rate',
    label: '(d) reconnect storm after every broker process restarted',
    unit: 'connects/s',
    better: 'higher',
    targets: STORM,
  },
  { id: 'd.restart.p99', label: '(d) reconnect after restart p99', unit: 'ms', better: 'lower' },
  { id: 'd.restart.cpu-us', label: '(d) reconnect after restart broker CPU per connect', unit: 'µs', better: 'lower' },
  {
    id: 'h.rate',
    label: '(h) first connects after `import yandex --passwords-file`',
    unit: 'connects/s',
    better: 'higher',
    targets: STORM,
  },
  { id: 'h.p99', label: '(h) first connect after import p99', unit: 'ms', better: 'lower' },
  { id: 'h.cpu-us', label: '(h) first connect after import broker CPU per connect', unit: 'µs', better: 'lower' },
  {
    id: 'e.rss-per-connection',
    label: '(e) RSS per idle TLS connection',
    unit: 'bytes',
    better: 'lower',
    targets: [{ against: 'absolute', bound: 65_536 }],
  },
  { id: 'e.connections', label: '(e) idle connections held', unit: 'connections', better: 'higher' },
  {
    id: 'f.qos0.rate',
    label: '(f) cluster fan-in via 2 edges, QoS 0',
    unit: 'msg/s',
    better: 'higher',
    cluster: true,
    targets: [{ against: AEDES_CLUSTER, bound: 1.5 }],
  },
  {
    id: 'f.qos1.rate',
    label: '(f) cluster fan-in via 2 edges, QoS 1',
    unit: 'msg/s',
    better: 'higher',
    cluster: true,
    targets: [{ against: AEDES_CLUSTER, bound: 1.5 }],
  },
];

export interface Row {
  id: string;
  label: string;
  unit: string;
  iotcore?: number;
  baselines: Record<string, number | undefined>;
  /** iotcore / baseline. */
  ratios: Record<string, number | undefined>;
  targets: Array<{ against: string; bound: string; met: boolean | undefined }>;
}

export function buildRows(results: Record<string, Figures>): Row[] {
  return MEASUREMENTS.filter((m) => (m.cluster ? results[IOTCORE_CLUSTER] : results[IOTCORE])?.[m.id] !== undefined).map((m) => {
    const ours = (m.cluster ? results[IOTCORE_CLUSTER] : results[IOTCORE])?.[m.id];
    const baselineNames = m.cluster ? [AEDES_CLUSTER] : [MOSQUITTO, MOSQUITTO_AUTH, AEDES];
    const baselines = Object.fromEntries(baselineNames.map((name) => [name, results[name]?.[m.id]]));
    const ratios = Object.fromEntries(
      baselineNames.map((name) => [name, ours !== undefined && baselines[name] ? ours / baselines[name]! : undefined]),
    );
    const targets = (m.targets ?? []).map((target) => {
      const value = target.against === 'absolute' ? ours : ratios[target.against];
      const met =
        value === undefined || Number.isNaN(value) ? undefined : m.better === 'higher' ? value >= target.bound : value <= target.bound;
      const bound =
        target.against === 'absolute'
          ? `≤ ${target.bound} ${m.unit}`
          : `${m.better === 'higher' ? '≥' : '≤'} ${target.bound}× ${target.against}`;
      return { against: target.against, bound, met };
    });
    return { id: m.id, label: m.label, unit: m.unit, iotcore: ours, baselines, ratios, targets };
  });
}

const number = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '–' : value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
const ratio = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : `${value.toFixed(2)}×`);
const verdict = (met: boolean | undefined) => (met === undefined ? '?' : met ? 'met' : 'NOT met');

export function markdownTable(rows: Row[]): string {
  const lines = [
    '| measurement | unit | iotcore | Mosquitto | Mosquitto with auth | plain aedes | ÷ Mosquitto | ÷ Mosquitto with auth | ÷ aedes | target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const cluster = row.baselines[AEDES_CLUSTER] !== undefined || row.id.startsWith('f.');
    const aedesName = cluster ? AEDES_CLUSTER : AEDES;
    const targets = row.targets.map((target) => `${target.bound}: **${verdict(target.met)}**`).join('; ');
    lines.push(
      `| ${row.label} | ${row.unit} | ${number(row.iotcore)} | ${cluster ? '–' : number(row.baselines[MOSQUITTO])} | ${cluster ? '–' : number(row.baselines[MOSQUITTO_AUTH])} | ${number(row.baselines[aedesName])}${cluster ? ' (stock cluster)' : ''} | ${cluster ? '–' : ratio(row.ratios[MOSQUITTO])} | ${cluster ? '–' : ratio(row.ratios[MOSQUITTO_AUTH])} | ${ratio(row.ratios[aedesName])} | ${targets} |`,
    );
  }
  return lines.join('\n');
}

export async function writeReport(
  outDir: string,
  report: {
    command: string;
    machine: Record<string, string>;
    settings: object;
    results: Record<string, Figures>;
    rows: Row[];
    notes: string[];
  },
): Promise<{ json: string; markdown: string }> {
  await mkdir(outDir, { recursive: true });
  const json = path.join(outDir, 'bench.json');
  const markdown = path.join(outDir, 'bench.md');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  const machine = Object.entries(report.machine)
    .map(([key, value]) => `- ${key}: ${value}`)
    .join('\n');
  await writeFile(
    markdown,
    [
      '# iotcore benchmark',
      '',
      `Command: \`${report.command}\``,
      '',
      machine,
      '',
      `Settings: \`${JSON.stringify(report.settings)}\``,
      '',
      markdownTable(report.rows),
      '',
      ...report.notes,
      '',
    ].join('\n'),
  );
  return { json, markdown };
}
