// What a command prints: a resource, a list, or the resource inside a finished Operation.
import type { Operation } from '../generated/yandex/cloud/operation/operation.js';
import { render, renderTable, toYcJson, type JsonCodec, type OutputFormat } from './output.js';

interface Codec<T> extends JsonCodec<T> {
  decode(input: Uint8Array): T;
}

export function printResource<T>(codec: JsonCodec<T>, message: T, format: OutputFormat): void {
  process.stdout.write(render(toYcJson(codec, message), format));
}

export function printList<T>(
  codec: JsonCodec<T>,
  messages: T[],
  format: OutputFormat,
  columns: Array<[header: string, cell: (message: T) => string]>,
): void {
  if (format === 'text') {
    process.stdout.write(
      renderTable(
        columns.map(([header]) => header),
        messages.map((message) => columns.map(([, cell]) => cell(message))),
      ),
    );
    return;
  }
  process.stdout.write(
    render(
      messages.map((message) => toYcJson(codec, message)),
      format,
    ),
  );
}

/** Mutations print the resource the finished operation carries (or nothing for deletions). */
export function printOperationResult<T>(codec: Codec<T> | undefined, operation: Operation, format: OutputFormat): T | undefined {
  const result = operation.result;
  if (result?.$case === 'error') throw new Error(`operation ${operation.id} failed: ${result.value.message}`);
  if (!codec || result?.$case !== 'response') return undefined;
  const resource = codec.decode(result.value.value);
  printResource(codec, resource, format);
  return resource;
}
