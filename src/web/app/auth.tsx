/**
 * The signed-in user, shared by the whole console. The session itself is an HttpOnly cookie
 * the browser never reads; /auth/me tells us who we are and hands out the CSRF token.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, onUnauthorized, type Permission, type SessionUser } from '../api';

type Status = 'loading' | 'authenticated' | 'anonymous';

interface AuthValue {
  status: Status;
  user: SessionUser | null;
  /** True after the user signed out on purpose (the login page then starts from the home page). */
  signedOut: boolean;
  login: (username: string, password: string) => Promise<SessionUser>;
  logout: () => Promise<void>;
  /** True when the user holds every given permission. */
  can: (...permissions: Permission[]) => boolean;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>('loading');
  const [user, setUser] = useState<SessionUser | null>(null);
  const [signedOut, setSignedOut] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.auth
      .me()
      .then((s) => {
        if (cancelled) return;
        setUser(s.user);
        setStatus('authenticated');
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        if (!(e instanceof ApiError) || e.status !== 401) console.warn('session probe failed', e);
        setUser(null);
        setStatus('anonymous');
      });
    // Any later 401 means the session expired or was revoked: drop to the login page.
    onUnauthorized(() => {
      setUser(null);
      setStatus('anonymous');
    });
    return () => {
      cancelled = true;
      onUnauthorized(null);
    };
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const s = await api.auth.login(username, password);
    setSignedOut(false);
    setUser(s.user);
    setStatus('authenticated');
    return s.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.auth.logout();
    } finally {
      setSignedOut(true);
      setUser(null);
      setStatus('anonymous');
    }
  }, []);

  const can = useCallback(
    (...permissions: Permission[]) => !!user && permissions.every((p) => user.permissions.includes(p)),
    [user],
  );

  const value = useMemo<AuthValue>(() => ({ status, user, signedOut, login, logout, can }), [status, user, signedOut, login, logout, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
