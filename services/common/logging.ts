// Structured JSON logs (pino). Secrets never reach a log line: the redaction list below removes
// them even if a caller passes a whole request object by mistake.
//
// Lines leave in batches: at 4 KiB, or 50 ms after the first line of a batch, and whatever is
// waiting at exit is written then. Writing each line on its own (pino's default) cost 4% more
// broker CPU per connection in a reconnect storm, which logs a line per connect and per
// disconnect (loadtest/results/logging.md). If stdout stops taking lines (a stuck log
// collector), at most `maxBufferedBytes` wait and lines past that are dropped and counted rather
// than held in memory.
import { Counter } from 'prom-client';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'];

export interface LogWriterSettings {
  /** Where the lines go: stdout unless a test says otherwise. */
  fd: number;
  /** A batch this long is written at once; a shorter one flushMs after its first line. */
  batchBytes: number;
  flushMs: number;
  /** Bytes waiting to be written at most while the output does not keep up. */
  maxBufferedBytes: number;
}

const DEFAULT_LOG_WRITER: LogWriterSettings = { fd: 1, batchBytes: 4096, flushMs: 50, maxBufferedBytes: 16 * 1024 * 1024 };

const droppedLines = new Counter({
  name: 'iotcore_log_lines_dropped_total',
  help: 'process log lines dropped because stdout did not keep up (16 MiB waiting)',
});

/** A batching, bounded destination for pino; dropped lines are counted. */
export function logWriter(settings: LogWriterSettings = DEFAULT_LOG_WRITER): DestinationStream {
  let batch = '';
  let timer: NodeJS.Timeout | undefined;
  const writeBatch = () => {
    clearTimeout(timer);
    timer = undefined;
    if (batch === '') return;
    const lines = batch;
    batch = '';
    output.write(lines);
  };
  // Ahead of pino's own exit listener, which flushes the output synchronously.
  process.prependListener('exit', writeBatch);
  const output = pino.destination({ dest: settings.fd, sync: false, maxLength: settings.maxBufferedBytes });
  output.on('drop', (lines: string) => droppedLines.inc(countLines(lines)));
  return {
    write(line: string) {
      batch += line;
      if (batch.length >= settings.batchBytes) writeBatch();
      else if (!timer) timer = setTimeout(writeBatch, settings.flushMs).unref();
    },
  };
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

let processWriter: DestinationStream | undefined;

export function createLogger(options: { name: string; level?: string }): Logger {
  processWriter ??= logWriter();
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.IOTCORE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    processWriter,
  );
}
