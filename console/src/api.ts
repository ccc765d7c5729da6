// The management REST API as the console calls it: same origin, the bearer token in the
// Authorization header (never a cookie, never the URL), errors carrying the API's own message.
let token: string | undefined;

/** The token lives in this module's memory only: a reload or a closed tab logs out. */
export function setToken(value: string | undefined): void {
  token = value;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

export async function api<T = Json>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as Json) : {};
  if (!response.ok) throw new ApiError(response.status, typeof json.message === 'string' ? json.message : `HTTP ${response.status}`);
  return json as T;
}

/** GET with a query string built from the defined values. */
export function query(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export const enc = encodeURIComponent;

/** A payload as the data-plane Publish API wants it (`bytes` as base64). */
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
