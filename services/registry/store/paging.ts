// Paging shared by the stores: items in ID order, the page token is the last ID of the previous
// page (base64url, opaque to clients), so pages stay stable while items are added.
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

export function pageOf<T>(items: T[], idOf: (item: T) => string, page: PageRequest): Page<T> {
  const after = decodePageToken(page.page_token);
  const sorted = items.filter((item) => after === undefined || idOf(item) > after).sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  const slice = sorted.slice(0, page.page_size);
  const more = sorted.length > page.page_size;
  return { items: slice, next_page_token: more ? encodePageToken(idOf(slice[slice.length - 1]!)) : '' };
}
