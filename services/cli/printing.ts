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

/**
 * Mutations print the resource the finished operation carries (or nothing for deletions); with yc's
 * --async, the operation itself, as yc prints one it did not wait for (iotcore's are done when answered).
 */
export function printOperationResult<T>(
  codec: Codec<T> | undefined,
  operation: Operation,
  options: { format: OutputFormat; async?: boolean },
): void {
  const result = operation.result;
  if (result?.$case === 'error') throw new Error(`operation ${operation.id} failed: ${result.value.message}`);
  if (options.async) {
    process.stdout.write(render(operationSummary(operation), options.format));
    return;
  }
  if (codec && result?.$case === 'response') printResource(codec, codec.decode(result.value.value), options.format);
}

function operationSummary(operation: Operation) {
  return {
    id: operation.id,
    description: operation.description,
    created_at: operation.created_at?.toISOString(),
    created_by: operation.created_by,
    modified_at: operation.modified_at?.toISOString(),
    done: operation.done,
    ...(operation.metadata && { metadata: { '@type': operation.metadata.type_url } }),
  };
}
