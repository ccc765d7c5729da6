// Prints API messages the way `yc --format json|yaml|text` does: proto3 JSON with Yandex's
// snake_case field names, enum names, RFC 3339 timestamps, empty fields omitted.
import { stringify } from 'yaml';

export type OutputFormat = 'text' | 'json' | 'yaml';

export interface JsonCodec<T> {
  toJSON(message: T): unknown;
}

/** Map fields whose keys are user data and must not be renamed. */
const MAP_FIELDS = new Set(['labels', 'topicAliases']);

export function toYcJson<T>(codec: JsonCodec<T>, message: T): unknown {
  return snakeKeys(codec.toJSON(message));
}

function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
      MAP_FIELDS.has(key) ? inner : snakeKeys(inner),
    ]),
  );
}

export function render(value: unknown, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  // yc's text format is YAML-shaped; lists print as a YAML sequence.
  return stringify(value, { lineWidth: 0 });
}

/** `yc … list` text output: a boxed table of the chosen columns. */
export function renderTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)) + 2);
  const rule = `+${widths.map((width) => '-'.repeat(width)).join('+')}+`;
  const line = (cells: string[], center: boolean) =>
    `|${cells
      .map((cell, index) => {
        const width = widths[index]!;
        const left = center ? Math.floor((width - cell.length) / 2) : 1;
        return ' '.repeat(left) + cell + ' '.repeat(width - cell.length - left);
      })
      .join('|')}|`;
  return [rule, line(columns, true), rule, ...rows.map((row) => line(row, false)), rule, ''].join('\n');
}
