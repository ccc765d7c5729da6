// The web console's files (built by Vite into dist/console) on the REST listener under /console/.
// Read once at start-up into memory: the bundle is small, and a request can only ever name a file
// that was in the build (no path from the URL reaches the file system). Every answer carries the
// strict Content-Security-Policy and the other headers that keep the page from being framed, sniffed
// or leaking its address; see README "Web console".
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CONSOLE_PREFIX = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface AssetResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ConsoleAssets {
  /** The answer for a GET/HEAD under /console, or undefined when the path is not the console's. */
  serve(method: string, urlPath: string, host: string | undefined): AssetResponse | undefined;
}

export interface ConsoleWebsocket {
  url?: string;
  port?: number;
}

export function consoleAssets(dir: string, websocket: ConsoleWebsocket): ConsoleAssets {
  const files = new Map<string, Buffer>();
  for (const file of listFiles(dir)) files.set(`/${path.relative(dir, file).split(path.sep).join('/')}`, readFileSync(file));
  if (!files.has('/index.html')) throw new Error(`no console build in ${dir} (npm run build makes it)`);
  return {
    serve(method, urlPath, host) {
      if (urlPath !== CONSOLE_PREFIX && !urlPath.startsWith(`${CONSOLE_PREFIX}/`)) return undefined;
      const headers = securityHeaders(connectSources(websocket, host));
      if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { ...headers, allow: 'GET, HEAD' }, body: Buffer.alloc(0) };
      if (urlPath === CONSOLE_PREFIX)
        return { status: 308, headers: { ...headers, location: `${CONSOLE_PREFIX}/` }, body: Buffer.alloc(0) };
      const name = urlPath === `${CONSOLE_PREFIX}/` ? '/index.html' : urlPath.slice(CONSOLE_PREFIX.length);
      const body = files.get(name);
      if (!body) return { status: 404, headers: { ...headers, 'content-type': TYPES['.txt']! }, body: Buffer.from('not found\n') };
      return {
        status: 200,
        headers: {
          ...headers,
          'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream',
          // Vite puts a content hash in every asset's name; index.html names the current ones.
          'cache-control': name.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        },
        body: method === 'HEAD' ? Buffer.alloc(0) : body,
      };
    },
  };
}

/**
 * The page may load only its own scripts and styles (no inline code, no eval), talk only to this
 * origin (the API) and to the MQTT WebSocket, be framed by no one and submit no form anywhere.
 */
export function contentSecurityPolicy(connect: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The MQTT WebSocket origin the live view connects to: the configured URL's, or the local port on the host the page came from. */
export function connectSources(websocket: ConsoleWebsocket, host: string | undefined): string[] {
  if (websocket.url) {
    const url = new URL(websocket.url);
    return [`${url.protocol}//${url.host}`];
  }
  // Only a plain host name or address: anything else could smuggle directives into the header.
  const hostname = host?.match(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/)?.[1];
  return websocket.port && hostname ? [`wss://${hostname}:${websocket.port}`] : [];
}

function securityHeaders(connect: string[]): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(connect),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}
