// What `iotcore registry|device|broker logs` reads, from yc-style flags: --since/--until as yc accepts them
// (RFC 3339, HH:MM:SS today in UTC, or a duration back from now such as `2h`, `3h30m ago`), --levels, and
// --filter on level, event and device.
import { LOG_LEVELS, type LogLevelName } from '../contracts/connection-logs.js';

export interface LogFilter {
  levels: number[];
  events: string[];
  device_ids: string[];
}

const DURATION = /^((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)(?:\s+ago)?$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const CLOCK = /^(\d{2}):(\d{2}):(\d{2})$/;

export function parseLogTime(flag: string, value: string, now: Date): Date {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) {
    let ms = 0;
    for (const [, amount, unit] of duration[1]!.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
    return new Date(now.getTime() - ms);
  }
  const clock = CLOCK.exec(text);
  if (clock) {
    const [hours, minutes, seconds] = clock.slice(1).map(Number) as [number, number, number];
    if (hours < 24 && minutes < 60 && seconds < 60)
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes, seconds));
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const parsed = new Date(text);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  throw new Error(`${flag}: expected RFC 3339 (2026-12-04T03:12:00Z), HH:MM:SS (UTC, today) or a duration (2h, 3h30m ago), got "${value}"`);
}

export function parseLevel(value: string): number {
  const level = LOG_LEVELS[value.trim().toUpperCase() as LogLevelName];
  if (level === undefined) throw new Error(`unknown level "${value}": one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  return level;
}

/**
 * `--filter`: conditions joined by AND, each `level=…`, `level>=…` (also >, <=, <), `event=…` or `device=…`
 * (`device_id` too); `=` accepts alternatives separated by `|`. E.g. `level>=WARN AND event=auth_failed|publish_denied`.
 */
export function parseLogFilter(filter: string | undefined, levelsFlag: string | undefined): LogFilter {
  const result: LogFilter = { levels: levelsFlag ? levelsFlag.split(',').map(parseLevel) : [], events: [], device_ids: [] };
  if (!filter?.trim()) return result;
  let levelConditions = 0;
  for (const condition of filter.split(/\s+and\s+/i)) {
    const match = /^\s*(\w+)\s*(>=|<=|=|>|<)\s*"?([^"]*?)"?\s*$/.exec(condition);
    if (!match) throw new Error(`--filter: cannot read "${condition}"; expected FIELD=VALUE or level>=LEVEL joined by AND`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    const alternatives = value
      .split('|')
      .map((item) => item.trim())
      .filter(Boolean);
    if (field === 'level') {
      result.levels = intersect(result.levels, levelsMatching(operator, alternatives));
      levelConditions++;
    } else if (operator !== '=') {
      throw new Error(`--filter: ${field} takes only =`);
    } else if (field === 'event') {
      result.events.push(...alternatives);
    } else if (field === 'device' || field === 'device_id') {
      result.device_ids.push(...alternatives);
    } else {
      throw new Error(`--filter: unknown field "${field}": level, event or device`);
    }
  }
  if (levelConditions > 0 && result.levels.length === 0) throw new Error('--filter: the level conditions exclude every level');
  return result;
}

function levelsMatching(operator: string, values: string[]): number[] {
  const all = Object.values(LOG_LEVELS) as number[];
  if (operator === '=') return values.map(parseLevel);
  if (values.length !== 1) throw new Error(`--filter: level${operator} takes one level`);
  const bound = parseLevel(values[0]!);
  const compare: Record<string, (level: number) => boolean> = {
    '>=': (level) => level >= bound,
    '>': (level) => level > bound,
    '<=': (level) => level <= bound,
    '<': (level) => level < bound,
  };
  return all.filter(compare[operator]!);
}

/** Levels allowed by both (empty: any). */
function intersect(current: number[], next: number[]): number[] {
  return current.length === 0 ? next : current.filter((level) => next.includes(level));
}
