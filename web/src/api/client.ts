import { sessionStore } from './session';

/** An error answer of the admin API (application/problem+json), or a network failure (status 0, code NETWORK). */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  title?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.code === 'string') return { ...body, status: response.status, code: body.code, detail: String(body.detail ?? body.title ?? '') };
  } catch {
    // Not JSON: a proxy's error page, say.
  }
  return { status: response.status, code: `HTTP_${response.status}`, detail: text.slice(0, 200) || response.statusText };
}

async function send(method: string, path: string, { body, query, accept }: { body?: unknown; query?: Query; accept?: string }): Promise<Response> {
  const session = sessionStore.get();
  const headers: Record<string, string> = { accept: accept ?? 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(withQuery(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError({ status: 0, code: 'NETWORK', detail: error instanceof Error ? error.message : String(error) });
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    // An expired or revoked token: back to the sign-in page (the router watches the session).
    if (response.status === 401 && session && !path.startsWith('/v1/auth/')) sessionStore.set(null);
    throw new ApiError(problem);
  }
  return response;
}

/** Calls the admin API and returns its JSON answer (undefined for 204). */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: { body?: unknown; query?: Query } = {}): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A statistics route's CSV (`format=csv`): the very rows the page shows, as the API writes them. */
export async function apiCsv(path: string, query: Query): Promise<string> {
  const response = await send('GET', path, { query: { ...query, format: 'csv' }, accept: 'text/csv' });
  return response.text();
}
