// Paging shared by the stores: items in ID order, the page token is the last ID of the previous
// page (base64url, opaque to clients), so pages stay stable while items are added. Each store reads
// at most `page_size + 1` items after the token from an index ordered by ID; the extra one only
// tells whether there is a next page.
import { FieldError } from '../validation/field-error.js';
import type { Page, PageRequest } from './records.js';

export function encodePageToken(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string | undefined {
  if (!token) return undefined;
  const lastId = Buffer.from(token, 'base64url').toString('utf8');
  if (!lastId || encodePageToken(lastId) !== token) throw new FieldError('page_token', 'is not a token returned by a previous call');
  return lastId;
}

/** The page made of `items`: the first `page_size + 1` (or fewer) items after the token, in ID order. */
export function pageFromSorted<T>(items: T[], idOf: (item: T) => string, page: PageRequest): Page<T> {
  const slice = items.slice(0, page.page_size);
  const more = items.length > page.page_size;
  return { items: slice, next_page_token: more ? encodePageToken(idOf(slice[slice.length - 1]!)) : '' };
}
