// How the live view shows a payload: as text when it is UTF-8, as formatted JSON when it parses,
// as hex otherwise or when asked.
export type PayloadView = 'auto' | 'text' | 'json' | 'hex';

export function formatPayload(bytes: Uint8Array, view: PayloadView): { kind: 'text' | 'json' | 'hex'; text: string } {
  const text = view === 'hex' ? undefined : decodeUtf8(bytes);
  if (text !== undefined && (view === 'json' || view === 'auto')) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      if (view === 'json') return { kind: 'text', text };
    }
  }
  if (text !== undefined && view !== 'hex') return { kind: 'text', text };
  return { kind: 'hex', text: toHex(bytes) };
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
