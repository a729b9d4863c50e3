// The one way the app talks to the server: same-origin fetch of /api/v1/…, the session
// cookie (HttpOnly, SameSite=Strict) sent by the browser; no token is ever stored by the app.
// Every refusal becomes an ApiError carrying the server's problem document (RFC 9457), so a
// form can show the message at the field the server names (invalid_params[].name).

export interface InvalidParam {
  name: string;
  reason: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  invalid_params?: InvalidParam[];
  [k: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** seconds from the Retry-After header (429), when the server sent one */
  readonly retryAfter?: number;
  constructor(status: number, problem: Problem, retryAfter?: number) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
  /** The server's reason for one field, or undefined. */
  fieldMessage(field: string): string | undefined {
    return this.problem.invalid_params?.find((p) => p.name === field)?.reason;
  }
  /** The fields the server named. */
  fields(): string[] {
    return (this.problem.invalid_params ?? []).map((p) => p.name);
  }
}

/** Called when an authenticated call answers 401 (the session ended): the app shows login. */
let onUnauthorised: (() => void) | null = null;
export function setUnauthorisedHandler(f: () => void): void {
  onUnauthorised = f;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean; contentType?: string } = {}): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined && opts.contentType) {
    // a file as it is (an upload: a workbook, a GeoJSON document)
    (init.headers as Record<string, string>)['Content-Type'] = opts.contentType;
    init.body = body as Blob;
  } else if (body !== undefined) {
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path.startsWith('/') ? path : `/api/v1/${path}`, init);
  const text = await r.text();
  let doc: unknown = null;
  if (text) {
    try {
      doc = JSON.parse(text);
    } catch {
      doc = { detail: text };
    }
  }
  if (!r.ok) {
    if (r.status === 401 && !opts.quiet401 && onUnauthorised) onUnauthorised();
    const ra = Number(r.headers.get('Retry-After'));
    throw new ApiError(r.status, (doc as Problem) ?? { title: r.statusText, status: r.status }, Number.isFinite(ra) && ra > 0 ? ra : undefined);
  }
  return doc as T;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Query string from an object, leaving out empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}
