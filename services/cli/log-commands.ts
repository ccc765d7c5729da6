// `iotcore registry|device|broker logs` (yc iot … logs): reads a connection log, oldest first, as text lines or
// JSON shaped like Cloud Logging's LogEntry; --follow then polls for new entries until interrupted.
import { Command } from 'commander';
import { LOG_LEVEL_NAMES } from '../contracts/connection-logs.js';
import type { LogEntry, ReadLogsRequest } from '../generated/iotcore/logs/v1/logs.js';
import { positiveInteger } from './arguments.js';
import { withApi, type Options } from './command-runner.js';
import type { Api } from './connection.js';
import { parseLogFilter, parseLogTime } from './log-query.js';
import { render, type OutputFormat } from './output.js';

type Source = NonNullable<ReadLogsRequest['source']>;

/** How often --follow asks for new entries: edges send theirs every 200 ms, so a new one shows within 1 s. */
const FOLLOW_POLL_MS = 250;
/**
 * --follow reads again from this long before the newest entry it printed: entries from several edges arrive in
 * batches, so one stamped slightly earlier than another may be stored after it. Seen uids are not printed twice.
 */
const FOLLOW_OVERLAP_MS = 5000;
const DEFAULT_SINCE = '1h';

export function logsCommand(
  description: string,
  configure: (command: Command) => Command,
  source: (api: Api, options: Options, positional: string | undefined) => Promise<Source>,
): Command {
  return withApi(
    configure(new Command('logs').description(description))
      .option('--since <time>', `from (RFC 3339, HH:MM:SS in UTC, or a duration back such as 2h or "3h30m ago"; default ${DEFAULT_SINCE})`)
      .option('--until <time>', 'up to (same forms as --since; default: now)')
      .option('--levels <levels>', 'only these levels, e.g. WARN,ERROR')
      .option('--filter <filter>', 'e.g. "level>=WARN AND event=auth_failed|publish_denied AND device=<id>"')
      .option('--limit <n>', 'maximum number of entries (without --follow)', positiveInteger, 1000)
      .option('-f, --follow', 'keep printing new entries until interrupted'),
    async (api, options, positional) => {
      const now = new Date();
      const filter = parseLogFilter(options.filter as string | undefined, options.levels as string | undefined);
      const request: ReadLogsRequest = {
        source: await source(api, options, positional),
        since: parseLogTime('--since', (options.since as string | undefined) ?? DEFAULT_SINCE, now),
        until: options.until ? parseLogTime('--until', options.until as string, now) : undefined,
        ...filter,
        page_size: 0,
        page_token: '',
      };
      const print = printer(options.format, Boolean(options.follow));
      const seen = new Set<string>();
      let printed = await readAll(api, request, options.follow ? Number.POSITIVE_INFINITY : (options.limit as number), (entry) => {
        seen.add(entry.uid);
        print.entry(entry);
      });
      if (!options.follow) return print.end(printed);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
        const newest = printed.at(-1)?.timestamp ?? request.since!;
        const since = new Date(Math.max(request.since!.getTime(), newest.getTime() - FOLLOW_OVERLAP_MS));
        const fresh = await readAll(api, { ...request, since }, Number.POSITIVE_INFINITY, (entry) => {
          if (seen.has(entry.uid)) return;
          seen.add(entry.uid);
          print.entry(entry);
        });
        printed = fresh.length > 0 ? fresh : printed;
        forgetBefore(seen, fresh);
      }
    },
  );
}

/** Pages through the log; returns the entries read (all of them, printed or already seen). */
async function readAll(api: Api, request: ReadLogsRequest, limit: number, each: (entry: LogEntry) => void): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let page_token = '';
  do {
    const page = await api.logs.read({ ...request, page_size: Math.min(1000, limit - entries.length), page_token });
    for (const entry of page.entries) each(entry);
    entries.push(...page.entries);
    page_token = page.next_page_token;
  } while (page_token && entries.length < limit);
  return entries;
}

/** Keeps the seen set to the overlap window's entries, so a long --follow does not grow it. */
function forgetBefore(seen: Set<string>, window: LogEntry[]): void {
  if (window.length === 0 || seen.size < 10_000) return;
  const keep = new Set(window.map((entry) => entry.uid));
  for (const uid of seen) if (!keep.has(uid)) seen.delete(uid);
}

/** Cloud Logging's LogEntry shape: resource, level name, message, json_payload. */
export function logEntryJson(entry: LogEntry) {
  return {
    uid: entry.uid,
    resource: entry.broker_id ? { type: 'iot.broker', id: entry.broker_id } : { type: 'iot.registry', id: entry.registry_id },
    timestamp: entry.timestamp?.toISOString(),
    level: LOG_LEVEL_NAMES[entry.level] ?? 'LEVEL_UNSPECIFIED',
    message: entry.message,
    json_payload: { ...(entry.device_id ? { device_id: entry.device_id } : {}), event: entry.event, ...entry.payload },
  };
}

export function logEntryText(entry: LogEntry): string {
  const who = entry.device_id
    ? `device ${entry.device_id}`
    : entry.broker_id
      ? `broker ${entry.broker_id}`
      : `registry ${entry.registry_id}`;
  return `${entry.timestamp?.toISOString()} ${(LOG_LEVEL_NAMES[entry.level] ?? '-').padEnd(5)} ${who}: ${entry.message}`;
}

/** Text: a line per entry. JSON (YAML): a list, or with --follow one JSON object per line (the stream never ends). */
function printer(format: string, follow: boolean) {
  const json = format !== 'text';
  return {
    entry(entry: LogEntry) {
      if (!json) process.stdout.write(`${logEntryText(entry)}\n`);
      else if (follow) process.stdout.write(`${JSON.stringify(logEntryJson(entry))}\n`);
    },
    end(entries: LogEntry[]) {
      if (json) process.stdout.write(render(entries.map(logEntryJson), format as OutputFormat));
    },
  };
}
