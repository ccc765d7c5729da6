// Field rules shared by registries, devices and brokers (docs/yandex-behaviour.md §1.7, §5), as the Yandex protos
// state them.
import { FieldError } from './field-error.js';

const NAME = /^[a-zA-Z0-9_-]*$/;
const ID = /^[a-zA-Z0-9_-]+$/;
const LABEL_KEY = /^[a-z][-_0-9a-z]{0,62}$/;
const LABEL_VALUE = /^[-_0-9a-z]{0,63}$/;
const DEFAULT_PAGE_SIZE = 100;

export function validateName(field: string, value: string, options: { required: boolean }): void {
  if (options.required && value.length === 0) throw new FieldError(field, 'is required');
  if (value.length > 50 || !NAME.test(value)) throw new FieldError(field, 'must match [a-zA-Z0-9_-]* and be at most 50 characters');
}

export function validateDescription(field: string, value: string): void {
  if (value.length > 256) throw new FieldError(field, 'must be at most 256 characters');
}

export function validateLabels(field: string, labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > 64) throw new FieldError(field, 'at most 64 labels are allowed');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) throw new FieldError(field, `key "${key}" must be 1-63 characters matching [a-z][-_0-9a-z]*`);
    if (!LABEL_VALUE.test(value)) throw new FieldError(field, `value of "${key}" must be at most 63 characters matching [-_0-9a-z]*`);
  }
}

/**
 * The name, description and labels every registry, device and broker has; `prefix` names the
 * record they are in (an import's `registry.`).
 */
export function validateResourceFields(
  fields: { name: string; description: string; labels: Record<string, string> },
  options: { nameRequired: boolean; prefix?: string },
): void {
  const prefix = options.prefix ?? '';
  validateName(`${prefix}name`, fields.name, { required: options.nameRequired });
  validateDescription(`${prefix}description`, fields.description);
  validateLabels(`${prefix}labels`, fields.labels);
}

export function validateId(field: string, value: string): void {
  if (!value) throw new FieldError(field, 'is required');
  if (value.length > 50 || !ID.test(value)) throw new FieldError(field, 'must be at most 50 letters, digits, "-" or "_"');
}

/** A time that can be compared, stored and sent back: a Timestamp outside JavaScript's range decodes as an Invalid Date. */
export function validateTime(field: string, value: Date | undefined): void {
  if (value !== undefined && Number.isNaN(value.getTime())) throw new FieldError(field, 'is not a valid time');
}

/** Returns the effective page size (0 means the default of 100). */
export function validatePaging(pageSize: number, pageToken: string, maxPageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > maxPageSize) {
    throw new FieldError('page_size', `must be between 0 and ${maxPageSize}`);
  }
  if (pageToken.length > 100) throw new FieldError('page_token', 'must be at most 100 characters');
  return pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
}
