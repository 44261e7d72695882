/**
 * Minimal fetch wrapper for the back-office API (same origin, relative URLs).
 * Errors arrive as application/problem+json (RFC 9457) — see API-CONVENTIONS.md.
 */

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
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).title === 'string' &&
    typeof (body as Problem).code === 'string'
  );
}

/** Turns any thrown value into the message to show a shop manager. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.problem.title;
  if (err instanceof DOMException && err.name === 'AbortError') return '请求已取消';
  if (err instanceof TypeError) return '无法连接服务器，请检查网络';
  if (err instanceof Error) return err.message;
  return '未知错误';
}

export interface RequestOptions extends RequestInit {
  /** Statuses whose JSON body is returned instead of thrown (e.g. 503 from /health). */
  acceptStatus?: number[];
}

export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const { acceptStatus = [], headers, ...init } = opts;
  const res = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { Accept: 'application/json', ...headers },
  });
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (res.ok || acceptStatus.includes(res.status)) {
    if (body === undefined) {
      throw new ApiError({ status: res.status, code: 'ui.bad_response', title: '服务器返回了无法识别的数据' });
    }
    // A problem document under an accepted status is still an error.
    if (!res.ok && isProblem(body)) throw new ApiError({ ...body, status: body.status ?? res.status });
    return body as T;
  }
  if (isProblem(body)) throw new ApiError({ ...body, status: body.status ?? res.status });
  throw new ApiError({
    status: res.status,
    code: 'ui.http_error',
    title: `请求失败（HTTP ${res.status}）`,
    request_id: res.headers.get('X-Request-Id'),
  });
}
