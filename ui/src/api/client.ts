/**
 * Fetch wrapper for the back-office API (same origin, relative URLs).
 * Errors arrive as application/problem+json (RFC 9457) — see API-CONVENTIONS.md.
 *
 * Authenticated calls carry `Authorization: Bearer <access_token>` (tokens in localStorage, see
 * ../auth/tokens.ts). A 401 `auth.unauthenticated` triggers one `POST /auth/refresh` (shared by
 * concurrent calls) and one retry; when that fails too the session is dropped and the registered
 * handler sends the user to /login.
 */
import { clearTokens, getTokens, saveTokens, type LoginResult } from '../auth/tokens';
import { saveBlob } from '../utils/csv';

export interface ProblemFieldError {
  field: string;
  code: string;
  message: string;
}

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string | null;
  request_id?: string | null;
  errors?: ProblemFieldError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  get code(): string {
    return this.problem.code;
  }
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).title === 'string' &&
    typeof (body as Problem).code === 'string'
  );
}

/** Stable UI wording for codes whose meaning the UI knows better than a generic title. */
const UI_TITLES: Record<string, string> = {
  'common.version_conflict': '数据已被他人修改，请刷新后重试',
};

/** Turns any thrown value into the message to show a shop manager. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return UI_TITLES[err.problem.code] ?? err.problem.title;
  if (err instanceof DOMException && err.name === 'AbortError') return '请求已取消';
  if (err instanceof TypeError) return '无法连接服务器，请检查网络';
  if (err instanceof Error) return err.message;
  return '未知错误';
}

export function isApiError(err: unknown, code?: string, status?: number): err is ApiError {
  if (!(err instanceof ApiError)) return false;
  if (code !== undefined && err.problem.code !== code) return false;
  if (status !== undefined && err.status !== status) return false;
  return true;
}

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  /** Statuses whose JSON body is returned instead of thrown (e.g. 503 from /health). */
  acceptStatus?: number[];
  /** false = public call: no Authorization header, no refresh / redirect on 401. Default true. */
  auth?: boolean;
  /** JSON body (serialised here, with Content-Type) or a raw BodyInit. */
  json?: unknown;
  body?: BodyInit | null;
  /** Query parameters; undefined / null / '' values are left out. */
  query?: Record<string, string | number | boolean | null | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Session plumbing

type UnauthorizedHandler = (reason: string) => void;
let onUnauthorized: UnauthorizedHandler = () => {
  if (window.location.pathname !== '/login') window.location.assign('/login');
};

/** The auth context registers how to leave the session (navigate to /login without a reload). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time; resolves true when new tokens are stored. */
function refreshTokens(): Promise<boolean> {
  if (refreshing) return refreshing;
  const tokens = getTokens();
  if (!tokens?.refresh_token) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      });
      if (!res.ok) return false;
      const body = (await res.json()) as LoginResult;
      if (!body?.access_token) return false;
      saveTokens(body);
      return true;
    } catch {
      return false;
    } finally {
      // Let the calls waiting on this promise see the result before the next refresh may start.
      window.setTimeout(() => {
        refreshing = null;
      }, 0);
    }
  })();
  return refreshing;
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const { acceptStatus: _a, auth = true, json, query, headers, body, ...init } = opts;
  const h = new Headers(headers);
  if (!h.has('Accept')) h.set('Accept', 'application/json');
  let payload: BodyInit | null | undefined = body;
  if (json !== undefined) {
    h.set('Content-Type', 'application/json');
    payload = JSON.stringify(json);
  }
  if (auth) {
    const t = getTokens();
    if (t?.access_token) h.set('Authorization', `Bearer ${t.access_token}`);
  }
  return fetch(buildUrl(path, query), { credentials: 'same-origin', ...init, headers: h, body: payload });
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function problemOf(res: Response, body: unknown): ApiError {
  if (isProblem(body)) return new ApiError({ ...body, status: body.status ?? res.status });
  return new ApiError({
    status: res.status,
    code: 'ui.http_error',
    title: `请求失败（HTTP ${res.status}）`,
    request_id: res.headers.get('X-Request-Id'),
  });
}

/**
 * Sends the request; for authenticated calls handles 401 (refresh once, else leave the session).
 * Returns the final Response when it is ok or accepted; throws ApiError otherwise.
 */
export async function apiRequest(path: string, opts: RequestOptions = {}): Promise<Response> {
  const { acceptStatus = [], auth = true } = opts;
  const sentWith = getTokens()?.access_token;
  let res = await send(path, opts);
  if (res.status === 401 && auth && sentWith) {
    const body = await readBody(res.clone());
    const code = isProblem(body) ? body.code : '';
    if (code === 'auth.unauthenticated') {
      // Another call may already have refreshed while this one was in flight.
      const current = getTokens()?.access_token;
      const ok = current && current !== sentWith ? true : await refreshTokens();
      if (ok) res = await send(path, opts);
    }
    if (res.status === 401) {
      const again = await readBody(res.clone());
      const c = isProblem(again) ? again.code : '';
      if (c === 'auth.unauthenticated' || c === 'auth.token_revoked' || c === 'auth.refresh_invalid') {
        clearTokens();
        onUnauthorized(c);
      }
    }
  }
  if (res.ok || acceptStatus.includes(res.status)) return res;
  throw problemOf(res, await readBody(res));
}

export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiRequest(path, opts);
  const body = await readBody(res);
  if (res.status === 204) return undefined as T;
  if (body === undefined) {
    // A write answered with an empty body (204, or 200/201 without content) is fine.
    const method = (opts.method ?? 'GET').toUpperCase();
    if (res.ok && (method !== 'GET' || res.headers.get('content-length') === '0')) return undefined as T;
    throw new ApiError({ status: res.status, code: 'ui.bad_response', title: '服务器返回了无法识别的数据' });
  }
  // A problem document under an accepted status is still an error.
  if (!res.ok && isProblem(body)) throw new ApiError({ ...body, status: body.status ?? res.status });
  return body as T;
}

/** Downloads a (CSV) export with the session's token and saves it under `filename`. */
export async function apiDownload(path: string, filename: string, opts: RequestOptions = {}): Promise<void> {
  const res = await apiRequest(path, { ...opts, headers: { Accept: 'text/csv, */*', ...(opts.headers ?? {}) } });
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') ?? '';
  // RFC 6266: filename* (UTF-8, e.g. 商品.csv) wins over the ASCII fallback filename=.
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  let name = filename;
  try {
    name = star ? decodeURIComponent(star[1].trim()) : plain && plain[1].replace(/^\./, '') ? plain[1] : filename;
  } catch {
    name = filename;
  }
  saveBlob(blob, name);
}

// ---------------------------------------------------------------------------------------------
// Lists

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Accepts `{items, next_cursor}` or a bare array (some system lists are not paginated). */
export function toPage<T>(body: Page<T> | T[] | { items: T[]; next_cursor?: string | null }): Page<T> {
  if (Array.isArray(body)) return { items: body, next_cursor: null };
  return { items: body.items ?? [], next_cursor: body.next_cursor ?? null };
}

/** Fetches every page of a list (for option lists: stores, regions, users). */
export async function fetchAll<T>(path: string, query: RequestOptions['query'] = {}, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const body: Page<T> | T[] = await apiFetch<Page<T> | T[]>(path, { query: { ...query, limit: 500, cursor } });
    const page: Page<T> = toPage(body);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}
