// Yandex LogOptions (docs/yandex-behaviour.md §1.6): `disabled` and `min_level` decide what the connection logs keep
// (services/edge/connection-log.ts); the destination is kept for API compatibility, iotcore stores the logs itself.
import { FieldError } from '../validation/field-error.js';
import type { LogOptionsRecord } from '../store/records.js';

const DESTINATION = /^([a-zA-Z][-a-zA-Z0-9_.]{0,63})?$/;

export function validateLogOptions(field: string, options: LogOptionsRecord): void {
  if (options.destination && !DESTINATION.test(options.destination.value)) {
    throw new FieldError(`${field}.${options.destination.kind}`, `must match ${DESTINATION.source}`);
  }
  if (!Number.isInteger(options.min_level) || options.min_level < 0 || options.min_level > 6) {
    throw new FieldError(`${field}.min_level`, 'must be a LogLevel.Level value (0-6)');
  }
}

/**
 * The LogOptions a Create or Update leaves on a registry or broker: the current ones when the call
 * does not name them (undefined); Yandex's default when it names them without a value (null): logging to
 * the folder's default log group, whatever the form of the folder's ID; else the caller's, checked.
 */
export function logOptionsAfter(
  sent: LogOptionsRecord | null | undefined,
  current: LogOptionsRecord | undefined,
  folderId: string,
): LogOptionsRecord | undefined {
  if (sent === undefined) return current;
  if (sent === null) return { disabled: false, destination: { kind: 'folder_id', value: folderId }, min_level: 0 };
  validateLogOptions('log_options', sent);
  return sent;
}
