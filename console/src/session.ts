// The logged-in identity, for every page to ask what it may show.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Identity } from './access';

export const SessionContext = createContext<Identity | undefined>(undefined);

export function useIdentity(): Identity {
  const identity = useContext(SessionContext);
  if (!identity) throw new Error('no session');
  return identity;
}
