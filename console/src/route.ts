// Hash routes (`#/registries/<id>`): the page is one file, the server needs no fallback, and
// nothing secret is ever in the address.
export type Route =
  | { page: 'folders' }
  | { page: 'folder'; folderId: string }
  | { page: 'registry'; registryId: string; tab: string }
  | { page: 'device'; deviceId: string; tab: string }
  | { page: 'broker'; brokerId: string; tab: string }
  | { page: 'cluster' };

export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
  const [kind, id, tab = ''] = parts;
  if (kind === 'folders' && id) return { page: 'folder', folderId: id };
  if (kind === 'registries' && id) return { page: 'registry', registryId: id, tab };
  if (kind === 'devices' && id) return { page: 'device', deviceId: id, tab };
  if (kind === 'brokers' && id) return { page: 'broker', brokerId: id, tab };
  if (kind === 'cluster') return { page: 'cluster' };
  return { page: 'folders' };
}

export function href(...parts: string[]): string {
  return `#/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
}
