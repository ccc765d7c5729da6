// The Markdown table of `npm run bench:micro`, a row at a time (rows are printed as they are measured).
import type { Measurement } from './measure.js';

export const TABLE_HEADER = '| subject | case | ops/s (median) | min–max | ns/op |\n|---|---|--:|--:|--:|';

// Three significant digits: the samples of one run already differ in the second or third.
const figure = (value: number) => value.toLocaleString('en-US', { maximumSignificantDigits: 3 });

export function tableRow(subject: string, name: string, { median, min, max }: Measurement): string {
  return `| ${subject} | ${name} | ${figure(median)} | ${figure(min)}–${figure(max)} | ${figure(1e9 / median)} |`;
}
