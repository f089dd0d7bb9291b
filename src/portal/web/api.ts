/**
 * The page's calls to the gateway (`{prefix}/ui/api/...`, same origin). The session is the
 * HttpOnly cookie the browser sends by itself; state-changing calls add the session's CSRF
 * token in `X-CSRF-Token`. The token lives in this module's memory only: never in a URL,
 * a cookie, localStorage or sessionStorage. Failures become an ApiError with the gateway's code.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly description: string, readonly retryAfterSeconds?: number) {
    super(description);
  }
}

let csrfToken = '';
let onSessionLost: ((retry: () => void) => void) | undefined;

export function setCsrfToken(t: string): void {
  csrfToken = t;
}

/** Called when a call answers 401 session_required: the page asks to sign in again. */
export function whenSessionLost(fn: (retry: () => void) => void): void {
  onSessionLost = fn;
}

/** `path` may carry a query (the token list's filters): kept, the origin dropped. */
function url(path: string): string {
  const u = new URL(`api/${path}`, document.baseURI);
  return u.pathname + u.search;
}

export async function api<T>(method: string, path: string, body?: unknown, opts: { quietSessionLoss?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'The gateway cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (res.ok) return json as T;
  const retry = res.headers.get('retry-after');
  const err = new ApiError(res.status, String(json.code ?? 'unknown'), String(json.error_description ?? res.statusText), retry === null ? undefined : Number(retry));
  if (err.code === 'session_required' && !opts.quietSessionLoss && onSessionLost) onSessionLost(() => undefined);
  throw err;
}

/** What an error means, in words a user acts on. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Reload the page and try again.';
  switch (err.code) {
    case 'rate_limited':
      return `Too many failed sign-in attempts. Try again in ${retryIn(err.retryAfterSeconds)}.`;
    case 'login_failed':
      return 'Wrong login or password.';
    case 'session_required':
      return 'Your session has expired. Sign in again to continue.';
    case 'portfolio_not_enabled':
      return 'Access tokens are switched off for your company. Ask your portfolio manager to switch them on.';
    case 'portfolio_not_allowed':
      return 'Token authentication must be activated by CAST for this company. Please contact CAST support.';
    case 'forbidden':
      return 'Only a portfolio manager of this company can do this.';
    case 'csrf_rejected':
      return 'The gateway refused this request as coming from another site. Reload the page and try again.';
    case 'not_found':
      return 'Not found: it may have been removed already. The list has been refreshed.';
    case 'store_unavailable':
    case 'user_source_unavailable':
    case 'token_store_stale':
      return 'The service is temporarily unavailable. Try again in a moment.';
    case 'validation_failed':
      return `Please check the form: ${err.description.replace(/^invalid request: /, '')}.`;
    case 'network':
      return err.description;
    default:
      return `The gateway answered: ${err.description}.`;
  }
}

function retryIn(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'a few minutes';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
