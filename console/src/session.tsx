import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { tokenStore } from './api/client';
import { decodeToken, type Principal } from './api/token';

interface Session {
  token: string;
  principal?: Principal;
  signIn(token: string): boolean;
  signOut(): void;
  /** True when the caller holds any of the roles. */
  can(...roles: string[]): boolean;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(tokenStore.get);
  const principal = useMemo(() => decodeToken(token), [token]);
  const signIn = useCallback((next: string) => {
    const trimmed = next.trim();
    if (!decodeToken(trimmed)) return false;
    tokenStore.set(trimmed);
    setToken(trimmed);
    return true;
  }, []);
  const signOut = useCallback(() => {
    tokenStore.clear();
    setToken('');
  }, []);
  const can = useCallback(
    (...roles: string[]) => Boolean(principal?.roles.some((r) => roles.includes(r))),
    [principal],
  );
  const value = useMemo(
    () => ({ token, principal, signIn, signOut, can }),
    [token, principal, signIn, signOut, can],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
