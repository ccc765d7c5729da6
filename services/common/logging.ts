// Structured JSON logs (pino). Secrets never reach a log line: the redaction list below removes
// them even if a caller passes a whole request object by mistake.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'];

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.IOTCORE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
