import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { setUnauthorizedHandler } from '../api/client';
import { getMe, login as apiLogin, logout as apiLogout, type Me, type StoreRef } from '../api/identity';
import { clearTokens, getTokens, saveTokens, TOKENS_KEY } from './tokens';

/** Value of `currentStoreId` meaning "every store I may see". */
export const ALL_STORES = 'all';

export type AuthStatus = 'anonymous' | 'loading' | 'ready' | 'error';

export interface AuthContextValue {
  status: AuthStatus;
  /** Why the session ended: 'logout' (the user chose to) or 'expired'; null while logged in. */
  endReason: 'logout' | 'expired' | null;
  me: Me | null;
  /** Error text when /auth/me failed for another reason than the session. */
  error: string | null;
  permissions: ReadonlySet<string>;
  stores: StoreRef[];
  allStores: boolean;
  can: (permission: string) => boolean;
  /** true when the user holds at least one permission starting with `prefix` (e.g. "system."). */
  canAny: (predicate: (permission: string) => boolean) => boolean;
  /** Store switcher: a store id, or null for 全部门店. */
  currentStoreId: string | null;
  setCurrentStoreId: (id: string | null) => void;
  /** true when 全部门店 is offered (global scope or more than one store). */
  canSelectAllStores: boolean;
  login: (username: string, password: string, totpCode?: string) => Promise<Me>;
  logout: () => Promise<void>;
  reload: () => Promise<Me | null>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

const storeKey = (userId: string) => `ucm.currentStore.${userId}`;

function userIdOf(raw: string | null): string | null {
  try {
    return raw ? ((JSON.parse(raw) as { user?: { id?: string } }).user?.id ?? null) : null;
  } catch {
    return null;
  }
}

function pickStore(me: Me | null): string | null {
  if (!me) return null;
  const allowAll = me.all_stores || me.stores.length > 1;
  let saved: string | null = null;
  try {
    saved = window.localStorage.getItem(storeKey(me.id));
  } catch {
    saved = null;
  }
  if (saved === ALL_STORES && allowAll) return null;
  if (saved && me.stores.some((s) => s.id === saved)) return saved;
  if (allowAll) return null;
  return me.stores[0]?.id ?? null;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const location = useLocation();
  const [me, setMe] = useState<Me | null>(null);
  const [status, setStatus] = useState<AuthStatus>(() => (getTokens() ? 'loading' : 'anonymous'));
  const [error, setError] = useState<string | null>(null);
  const [currentStoreId, setStoreState] = useState<string | null>(null);
  const [endReason, setEndReason] = useState<'logout' | 'expired' | null>(null);
  const locationRef = useRef(location);
  locationRef.current = location;

  const dropSession = useCallback(() => {
    clearTokens();
    setMe(null);
    setStatus('anonymous');
    setStoreState(null);
  }, []);

  // API client → leave the session and go to /login (remembering where we were).
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setEndReason('expired');
      dropSession();
      const loc = locationRef.current;
      if (loc.pathname !== '/login') {
        navigate('/login', { replace: true, state: { from: loc.pathname + loc.search } });
      }
    });
  }, [dropSession, navigate]);

  const reload = useCallback(async (): Promise<Me | null> => {
    if (!getTokens()) {
      dropSession();
      return null;
    }
    setStatus((s) => (s === 'ready' ? s : 'loading'));
    try {
      const m = await getMe();
      setMe(m);
      setStoreState(pickStore(m));
      setError(null);
      setStatus('ready');
      return m;
    } catch (err) {
      if (!getTokens()) {
        // the client dropped the session (401) and already redirected
        dropSession();
        return null;
      }
      setError(err instanceof Error ? err.message : String(err));
      setStatus('error');
      return null;
    }
  }, [dropSession]);

  useEffect(() => {
    if (getTokens()) void reload();
  }, [reload]);

  // Another tab logged out (tokens removed) or in as someone else.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key !== TOKENS_KEY) return;
      if (!e.newValue) {
        setEndReason('logout');
        dropSession();
        navigate('/login', { replace: true });
      } else if (userIdOf(e.newValue) !== userIdOf(e.oldValue)) {
        // logged in (possibly as someone else) in another tab: follow that session
        void reload();
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [dropSession, navigate, reload]);

  const login = useCallback(
    async (username: string, password: string, totpCode?: string) => {
      const res = await apiLogin({ username, password, ...(totpCode ? { totp_code: totpCode } : {}) });
      saveTokens(res);
      let m: Me;
      try {
        m = await getMe();
      } catch (err) {
        clearTokens();
        throw err;
      }
      setEndReason(null);
      setMe(m);
      setStoreState(pickStore(m));
      setError(null);
      setStatus('ready');
      return m;
    },
    [],
  );

  const logout = useCallback(async () => {
    try {
      if (getTokens()) await apiLogout();
    } catch {
      // the session is dropped locally whatever the server says
    }
    setEndReason('logout');
    dropSession();
    navigate('/login', { replace: true });
  }, [dropSession, navigate]);

  const setCurrentStoreId = useCallback(
    (id: string | null) => {
      setStoreState(id);
      if (me) {
        try {
          window.localStorage.setItem(storeKey(me.id), id ?? ALL_STORES);
        } catch {
          // storage full or disabled: the choice lasts for this page only
        }
      }
    },
    [me],
  );

  const value = useMemo<AuthContextValue>(() => {
    const permissions = new Set(me?.permissions ?? []);
    return {
      status,
      endReason,
      me,
      error,
      permissions,
      stores: me?.stores ?? [],
      allStores: me?.all_stores ?? false,
      can: (p: string) => permissions.has(p),
      canAny: (pred) => [...permissions].some(pred),
      currentStoreId,
      setCurrentStoreId,
      canSelectAllStores: !!me && (me.all_stores || me.stores.length > 1),
      login,
      logout,
      reload,
    };
  }, [status, endReason, me, error, currentStoreId, setCurrentStoreId, login, logout, reload]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth() outside <AuthProvider>');
  return ctx;
}

/** `can(permission)` for components that only need the check. */
export function useCan(): (permission: string) => boolean {
  return useAuth().can;
}

/** The store chosen in the top bar: `storeId` null = 全部门店; `store` is its StoreRef. */
export function useCurrentStore(): { storeId: string | null; store: StoreRef | null } {
  const { currentStoreId, stores } = useAuth();
  return { storeId: currentStoreId, store: stores.find((s) => s.id === currentStoreId) ?? null };
}
