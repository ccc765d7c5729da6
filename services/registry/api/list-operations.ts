// ListOperations of registries, devices and brokers share paging and the filter rule. Yandex's only
// filter here is on the resource's name ("Currently you can use filtering only on Registry.name
// field"): `name="<name>"` lists the operations when it names the resource, none otherwise.
import { FieldError } from '../validation/field-error.js';
import { validatePaging } from '../validation/resource-fields.js';
import type { ResourceContext } from '../resources/context.js';
import { operationMessage } from './operations.js';

const MAX_PAGE = 1000;
const NAME_FILTER = /^\s*name\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/;

export async function listOperations(
  ctx: ResourceContext,
  resource: { id: string; name: string },
  request: { page_size: number; page_token: string; filter: string },
) {
  const page_size = validatePaging(request.page_size, request.page_token, MAX_PAGE);
  if (request.filter.length > 1000) throw new FieldError('filter', 'must be at most 1000 characters');
  if (request.filter && nameInFilter(request.filter) !== resource.name) return { operations: [], next_page_token: '' };
  const page = await ctx.store.listOperations(resource.id, { page_size, page_token: request.page_token });
  return { operations: page.items.map(operationMessage), next_page_token: page.next_page_token };
}

function nameInFilter(filter: string): string {
  const match = NAME_FILTER.exec(filter);
  if (!match) throw new FieldError('filter', 'only name="<name>" is supported');
  return match[1]!.replace(/\\(.)/g, '$1');
}
