// ListOperations of registries, devices and brokers share paging and the filter rule.
import { FieldError } from '../validation/field-error.js';
import { validatePaging } from '../validation/resource-fields.js';
import type { ResourceContext } from '../resources/context.js';
import { operationMessage } from './operations.js';

const MAX_PAGE = 1000;

export async function listOperations(
  ctx: ResourceContext,
  resourceId: string,
  request: { page_size: number; page_token: string; filter: string },
) {
  const page_size = validatePaging(request.page_size, request.page_token, MAX_PAGE);
  if (request.filter.length > 1000) throw new FieldError('filter', 'must be at most 1000 characters');
  if (request.filter) throw new FieldError('filter', 'filtering operations is not supported; pass an empty filter');
  const page = await ctx.store.listOperations(resourceId, { page_size, page_token: request.page_token });
  return { operations: page.items.map(operationMessage), next_page_token: page.next_page_token };
}
