/** Calls to the Sinan HTTP API (same origin). Every answer is the CLI's --json object, or the contract's error object. */
export interface Issue {
  code: string;
  path: (string | number)[];
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly issues: Issue[],
  ) {
    super(issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'));
  }
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const o = (await res.json()) as T & { error?: { issues: Issue[] } };
  if (!res.ok || o.error) throw new ApiError(res.status, o.error?.issues ?? [{ code: 'http', path: [], message: `HTTP ${res.status}` }]);
  return o;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const o = (await res.json()) as T & { error?: { issues: Issue[] } };
  if (!res.ok || o.error) throw new ApiError(res.status, o.error?.issues ?? [{ code: 'http', path: [], message: `HTTP ${res.status}` }]);
  return o;
}

const cache = new Map<string, Promise<unknown>>();
/** GET once per page load (catalog listings). */
export function getOnce<T>(path: string): Promise<T> {
  if (!cache.has(path)) cache.set(path, getJson<T>(path));
  return cache.get(path) as Promise<T>;
}
