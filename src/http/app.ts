import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorText, issueText } from './errors.js';
import type { Job, Op } from './jobs.js';
import type { HttpLimits } from './limits.js';
import { openApi } from './openapi.js';
import type { Outcome, Runner } from './pool.js';
import { staticFile } from './static.js';
import { loadExportData } from '../export/data.js';
import { exportVersions, TARGET_INFO } from '../export/export.js';
import { EXPORT_TARGETS } from '../export/types.js';

/** GET /v1/export/targets: each target's plan kind and the versions its data has, newest first. */
function exportTargets(): string {
  const data = loadExportData();
  const targets = EXPORT_TARGETS.map((t) => ({ target: t, kind: TARGET_INFO[t].kind, label: TARGET_INFO[t].label, versions: exportVersions(t, data[t]) }));
  return JSON.stringify({ targets }, null, 2) + '\n';
}

/**
 * The HTTP API and the web UI's files. Routes are thin: check the request, hand the body to a
 * plan worker (the library with no file access), return its answer — the CLI's --json text.
 */
export interface AppOptions {
  runner: Runner;
  limits: HttpLimits;
  /** The built web UI; null serves the API alone. */
  web: string | null;
  version?: string;
  /** The catalog listings, as `sinan models|hardware|calibration|profiles --json` print them (the CLI passes its own). */
  listings: Record<'models' | 'hardware' | 'calibration' | 'profiles', () => string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const BODY_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'];
/** A request's media type, without parameters (charset, boundary), lower-cased. */
const bodyType = (c: Context): string => (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

const send = (c: Context, status: number, body: string, headers: Record<string, string> = {}) =>
  c.body(body, status as 200, { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers });

export function createApp(o: AppOptions): Hono {
  const app = new Hono();
  const lim = o.limits;
  const cache = new Map<string, string>();
  const once = (key: string, f: () => string) => cache.get(key) ?? (cache.set(key, f()), cache.get(key)!);

  const answer = async (c: Context, job: Job) => reply(c, await o.runner.run(job));
  function reply(c: Context, r: Outcome): Response {
    if (r.kind === 'done') return send(c, r.status, r.body);
    if (r.kind === 'busy')
      return send(
        c,
        503,
        issueText({ code: 'limit_exceeded', path: [], what: `requests waiting (${lim.workers} plans run at once)`, limit: lim.queue, unit: 'requests' }),
        { 'retry-after': '1' },
      );
    if (r.kind === 'timeout')
      return send(
        c,
        503,
        issueText({
          code: 'limit_exceeded',
          path: [],
          what: 'time for this request (the plan was stopped; fix more parallelism keys to narrow the search)',
          limit: lim.timeLimitMs / 1000,
          unit: 'seconds',
        }),
      );
    return send(c, 500, issueText({ code: 'internal_error', path: [], detail: `plan worker failed: ${r.message}` }));
  }

  // every POST body: a stated content type and size
  app.use('/v1/*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = bodyType(c);
    if (!BODY_TYPES.includes(type))
      return send(
        c,
        415,
        issueText({
          code: 'invalid_value',
          path: ['content-type'],
          value: type || '(none)',
          allowed: BODY_TYPES,
          reason: 'send the scenario as JSON (or YAML text)',
        }),
      );
    return next();
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: lim.bodyBytes,
      onError: (c) => send(c, 413, issueText({ code: 'limit_exceeded', path: [], what: 'request body', limit: lim.bodyBytes, unit: 'bytes' })),
    }),
  );

  const POSTS: Record<string, (c: Context) => Op> = {
    '/v1/train': () => 'train',
    '/v1/serve': (c) => (['1', 'true'].includes(c.req.query('catalog') ?? '') ? 'serve-catalog' : 'serve'),
    '/v1/cluster': () => 'cluster',
    '/v1/goodput': () => 'goodput',
    '/v1/optimize': () => 'optimize',
    '/v1/export': () => 'export',
    '/v1/sweep': () => 'sweep',
  };
  for (const [path, op] of Object.entries(POSTS)) {
    app.post(path, async (c) => {
      let text: string;
      try {
        text = await c.req.text();
      } catch {
        return send(c, 400, issueText({ code: 'parse_error', path: [], source: 'request body', detail: 'the body could not be read as UTF-8 text' }));
      }
      // a body sent as JSON must be JSON (YAML would read a broken one as a string)
      if (bodyType(c) === 'application/json')
        try {
          JSON.parse(text);
        } catch (e) {
          return send(
            c,
            400,
            issueText({ code: 'parse_error', path: [], source: 'request body (application/json)', detail: (e as Error).message.slice(0, 200) }),
          );
        }
      return answer(c, { op: op(c), text, params: c.req.query() });
    });
  }

  const listings: Record<string, () => string> = {
    '/v1/models': o.listings.models,
    '/v1/hardware': o.listings.hardware,
    '/v1/calibration': o.listings.calibration,
    '/v1/profiles': o.listings.profiles,
    '/v1/export/targets': exportTargets,
    '/v1/openapi.json': () => JSON.stringify(openApi(lim, o.version ?? '0.1.0'), null, 2) + '\n',
  };
  for (const [path, f] of Object.entries(listings)) app.get(path, (c) => send(c, 200, once(path, f)));
  app.get('/v1/validation', async (c) => {
    const kind = c.req.query('kind') ?? 'training';
    const outOfSample = c.req.query('outOfSample') === 'true' ? 'true' : 'false';
    const key = `validation:${kind}:${outOfSample}`;
    const hit = cache.get(key);
    if (hit) return send(c, 200, hit);
    const r = await o.runner.run({ op: 'validate', text: '', params: { kind, outOfSample } });
    if (r.kind === 'done' && r.status === 200) cache.set(key, r.body);
    return reply(c, r);
  });

  // known paths with another method: 405 naming the allowed one
  const allowed: Record<string, string> = {
    ...Object.fromEntries(Object.keys(POSTS).map((p) => [p, 'POST'])),
    ...Object.fromEntries([...Object.keys(listings), '/v1/validation'].map((p) => [p, 'GET'])),
  };
  for (const [path, method] of Object.entries(allowed))
    app.all(path, (c) =>
      send(c, 405, issueText({ code: 'invalid_value', path: ['method'], value: c.req.method, allowed: [method], reason: `${path} takes ${method}` }), {
        allow: method,
      }),
    );

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (!path.startsWith('/v1/') && o.web && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      const f = staticFile(o.web, path) ?? (extnameless(path) ? staticFile(o.web, '/') : null);
      if (f)
        return c.body(f.body as unknown as ArrayBuffer, 200, {
          'content-type': f.type,
          'cache-control': path.includes('/assets/') ? 'max-age=31536000, immutable' : 'no-cache',
        });
    }
    return send(c, 404, issueText({ code: 'invalid_value', path: ['url'], value: path, allowed: Object.keys(allowed), reason: 'no such route' }));
  });
  app.onError((e, c) =>
    send(c, 500, errorText([{ code: 'internal_error', path: [], detail: e.message, message: `internal error (a bug; please report it): ${e.message}` }])),
  );
  return app;
}

/** A client-side route of the single-page UI (no file extension). */
function extnameless(path: string): boolean {
  return !/\.[a-z0-9]+$/i.test(path);
}
