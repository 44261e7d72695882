/** Access + refresh tokens in localStorage (shared by tabs of the same origin). */

export interface LoginUser {
  id: string;
  username: string;
  display_name: string;
}

export interface LoginResult {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  user: LoginUser;
}

export interface StoredTokens {
  access_token: string;
  refresh_token: string;
  /** ms since epoch, informational */
  expires_at: number;
  user?: LoginUser;
}

export const TOKENS_KEY = 'ucm.auth.tokens';

export function getTokens(): StoredTokens | null {
  try {
    const raw = window.localStorage.getItem(TOKENS_KEY);
    if (!raw) return null;
    const t = JSON.parse(raw) as StoredTokens;
    return t && typeof t.access_token === 'string' ? t : null;
  } catch {
    return null;
  }
}

export function saveTokens(r: LoginResult): void {
  const t: StoredTokens = {
    access_token: r.access_token,
    refresh_token: r.refresh_token,
    expires_at: Date.now() + (Number(r.expires_in) || 0) * 1000,
    user: r.user,
  };
  window.localStorage.setItem(TOKENS_KEY, JSON.stringify(t));
}

export function clearTokens(): void {
  window.localStorage.removeItem(TOKENS_KEY);
}
