/**
 * A small typed client for the gateway's REST/JSON API (`/api/v1/…`). Errors come back as RFC 9457 problem
 * bodies; they are thrown as ApiError, which keeps the field the gateway named so forms can point at it.
 */

export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** The offending field (e.g. "requester.phone"), when the gateway names one. */
  field?: string;
  /** Several violations, when the gateway lists them. */
  errors?: { field?: string; path?: string; pointer?: string; message?: string; description?: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
  }

  /** Every field named by the problem body, in a form's dotted notation ("needs.0.quantity.amount"). */
  get fields(): string[] {
    const named = [
      this.problem.field,
      ...(this.problem.errors ?? []).map((e) => e.field ?? e.path ?? e.pointer),
    ];
    return named.filter((f): f is string => Boolean(f)).map(normaliseField);
  }
}

/** "/needs/0/quantity" and "needs[0].quantity" both become "needs.0.quantity". */
export function normaliseField(field: string): string {
  return field
    .replace(/^\/|^body\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\//g, '.');
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;

const TOKEN_KEY = 'nuanyang.token';

export const tokenStore = {
  get: (): string => localStorage.getItem(TOKEN_KEY) ?? '',
  set: (token: string) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === '' || value === false) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ''}`;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  const token = tokenStore.get();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const problem = (
      json && typeof json === 'object' ? json : { title: text || res.statusText }
    ) as ProblemDetails;
    throw new ApiError(res.status, problem);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
};

/** A fresh idempotency key for a write the user may retry. */
export const newKey = (): string => crypto.randomUUID();
