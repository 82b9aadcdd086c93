import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/main.js';
import { CLI_LISTINGS } from '../cli/ui.js';
import { SCENARIO_SCHEMAS } from '../scenario/schema.js';
import { createApp } from './app.js';
import { defaultLimits, type HttpLimits } from './limits.js';
import { PlanPool } from './pool.js';

/** The API in process (app.request), with real worker threads behind it. */
const limits: HttpLimits = { ...defaultLimits(), workers: 2, timeLimitMs: 60_000 };
let pool: PlanPool;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  pool = new PlanPool({ workers: limits.workers, queue: limits.queue, timeLimitMs: limits.timeLimitMs, alternativesLimit: limits.alternatives });
  app = createApp({ runner: pool, limits, web: null, listings: CLI_LISTINGS });
});
afterAll(async () => {
  await pool.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await run(args, { out: (s) => void (out += s), err: () => {}, readStdin: () => '' });
  return { code, out };
}

const post = (path: string, body: string | Uint8Array, type = 'application/json') =>
  app.request(path, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Blob([body as Uint8Array<ArrayBuffer>]),
    headers: type ? { 'content-type': type } : {},
  });
const example = (f: string) => JSON.stringify(parse(readFileSync(join('examples', f), 'utf8')));

describe('answers are byte for byte the CLI --json output', () => {
  const cases: [string, string, string[]][] = [
    ['/v1/train', 'llama3.1-405b-h100.yaml', ['train']],
    ['/v1/train?alternatives=12', 'gpt3-175b-a100.yaml', ['train', '--alternatives', '12']],
    ['/v1/serve', 'llama3.1-70b-slo.yaml', ['serve']],
    ['/v1/serve?catalog=true', 'llama3.1-70b-slo.yaml', ['serve', '--catalog']],
    ['/v1/serve', 'yuan2-102b-cpu.yaml', ['serve']],
    ['/v1/cluster', 'cluster-100k-h100.yaml', ['cluster']],
    ['/v1/goodput', 'goodput-llama3-405b.yaml', ['goodput']],
    ['/v1/optimize', 'llama3.1-70b-optimize-a100.yaml', ['optimize']],
    ['/v1/optimize?format=gguf', 'llama3.1-70b-optimize-a100.yaml', ['optimize', '--format', 'gguf']],
    ['/v1/export?to=vllm', 'llama3.1-70b-slo.yaml', ['export', '--to', 'vllm']],
    ['/v1/export?to=megatron&version=0.14.0', 'llama3.1-405b-h100-fixed.yaml', ['export', '--to', 'megatron', '--version', '0.14.0']],
    ['/v1/sweep?what=scaleup&domains=8,16,72', 'llama3.1-405b-h100-fixed.yaml', ['sweep', 'scaleup', '--domains', '8,16,72']],
    ['/v1/sweep?what=weak&counts=64,1024', 'llama3.1-405b-h100-fixed.yaml', ['sweep', 'weak', '--counts', '64,1024']],
    ['/v1/sweep?what=weak&counts=1024,3072', 'gpt3-175b-a100.yaml', ['sweep', 'weak', '--counts', '1024,3072']],
  ];
  for (const [path, file, args] of cases) {
    it(`${path} = sinan ${args.join(' ')} ${file} --json`, async () => {
      const res = await post(path, example(file));
      const body = await res.text();
      const argv =
        args[0] === 'sweep'
          ? ['sweep', args[1]!, join('examples', file), ...args.slice(2), '--json']
          : [args[0]!, join('examples', file), ...args.slice(1), '--json'];
      const c = await cli(argv);
      expect(res.status).toBe(c.code === 0 ? 200 : 400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(body).toBe(c.out);
    });
  }
  it('YAML bodies are read by the same loader', async () => {
    const text = readFileSync('examples/llama3.3-70b-serve-h200.yaml', 'utf8');
    const res = await post('/v1/serve', text, 'application/yaml');
    expect(await res.text()).toBe((await cli(['serve', 'examples/llama3.3-70b-serve-h200.yaml', '--json'])).out);
  });
  for (const name of ['models', 'hardware', 'calibration', 'profiles']) {
    it(`GET /v1/${name} = sinan ${name} --json`, async () => {
      const res = await app.request(`/v1/${name}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe((await cli([name, '--json'])).out);
    });
  }
  it('GET /v1/validation = sinan validate --json --no-out-of-sample (both kinds); ?outOfSample=true = sinan validate --json', async () => {
    for (const kind of ['training', 'inference']) {
      const res = await app.request(`/v1/validation?kind=${kind}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe((await cli(['validate', '--kind', kind, '--json', '--no-out-of-sample'])).out);
    }
    // the out-of-sample refits are seconds for the inference corpus
    const res = await app.request('/v1/validation?kind=inference&outOfSample=true');
    expect(await res.text()).toBe((await cli(['validate', '--kind', 'inference', '--json'])).out);
  });
  it('scenario issues are 400 with the error object the CLI prints (exit 2)', async () => {
    const bad = {
      kind: 'training',
      model: 'llama-3.1-8b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      training: { sequenceLength: 4096, globalBatchSize: 64, precison: 'bf16' },
    };
    const res = await post('/v1/train', JSON.stringify(bad));
    const dir = mkdtempSync(join(tmpdir(), 'sinan-http-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify(bad));
    const c = await cli(['train', join(dir, 's.json'), '--json']);
    expect(c.code).toBe(2);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(c.out);
  });
});

describe('a request can name no file on the server', () => {
  const configPath = resolve('examples/configs/qwen3-30b-a3b.json');
  const base = { kind: 'inference', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: { inputTokens: 100, outputTokens: 100 } };
  it('the files exist (so a refusal is not a missing file)', () => {
    expect(readFileSync(configPath, 'utf8').length).toBeGreaterThan(10);
  });
  const cases: [string, Record<string, unknown>, string][] = [
    ['a model config path', { ...base, model: configPath }, 'model'],
    ['a relative model path', { ...base, model: './examples/configs/qwen3-30b-a3b.json' }, 'model'],
    ['a calibration file', { ...base, model: 'llama-3.1-8b', calibration: configPath }, 'calibration'],
    ['a checkpoint folder', { ...base, model: 'llama-3.1-8b', checkpoint: resolve('examples') }, 'checkpoint'],
  ];
  for (const [what, body, field] of cases) {
    it(`refuses ${what}`, async () => {
      for (const path of ['/v1/serve', '/v1/optimize', '/v1/export?to=vllm']) {
        const res = await post(path, JSON.stringify(body));
        expect(res.status).toBe(400);
        const o = (await res.json()) as { error: { issues: { path: string[]; message: string }[] } };
        expect(o.error.issues.map((i) => i.path[0])).toContain(field);
        expect(o.error.issues.find((i) => i.path[0] === field)!.message).toMatch(/files|file/);
      }
    });
  }
  it('refuses a model path in training, goodput and sweeps too', async () => {
    const t = {
      kind: 'training',
      model: configPath,
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      training: { sequenceLength: 4096, globalBatchSize: 64 },
    };
    for (const [path, body] of [
      ['/v1/train', t],
      ['/v1/sweep', t],
      ['/v1/goodput', { ...t, kind: 'goodput', reliability: { days: 1 } }],
    ] as const) {
      const res = await post(path, JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/"model"/);
    }
  });
});

describe('hostile and malformed requests get a 4xx, and the server keeps answering', () => {
  it('413 over the body limit (with and without a length header)', async () => {
    const huge = '{"kind":"training","pad":"' + 'x'.repeat(limits.bodyBytes) + '"}';
    const a = await post('/v1/train', huge);
    expect(a.status).toBe(413);
    expect(((await a.json()) as { error: { issues: { code: string }[] } }).error.issues[0]!.code).toBe('limit_exceeded');
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(100_000)));
        c.close();
      },
    });
    const b = await app.request('/v1/train', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(b.status).toBe(413);
  });
  it('415 for a missing or wrong content type', async () => {
    expect((await post('/v1/train', '{}', '')).status).toBe(415);
    expect((await post('/v1/train', '{}', 'text/plain')).status).toBe(415);
    expect((await post('/v1/train', '{}', 'multipart/form-data; boundary=x')).status).toBe(415);
    const r = await post('/v1/serve', '{}', 'application/xml');
    expect(((await r.json()) as { error: { issues: { path: string[] }[] } }).error.issues[0]!.path).toEqual(['content-type']);
  });
  it('a body sent as application/json that is not JSON is a parse error, not a scenario that is a string', async () => {
    const r = await post('/v1/train', 'not json{');
    expect(r.status).toBe(400);
    const issue = ((await r.json()) as { error: { issues: { code: string; message: string }[] } }).error.issues[0]!;
    expect(issue.code).toBe('parse_error');
    expect(issue.message).toMatch(/application\/json/);
  });
  it('404 and 405 with the error object; 405 says which method', async () => {
    const a = await app.request('/v1/nothing');
    expect(a.status).toBe(404);
    expect(((await a.json()) as { error: unknown }).error).toBeDefined();
    const b = await app.request('/v1/train');
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('POST');
    const c = await app.request('/v1/models', { method: 'DELETE' });
    expect(c.status).toBe(405);
    expect(c.headers.get('allow')).toBe('GET');
    expect((await app.request('/')).status).toBe(404); // no web bundle in this app
  });
  const bodies: [string, string | Uint8Array][] = [
    ['not JSON', '{"kind": training'],
    ['empty', ''],
    ['a list', '[1, 2, 3]'],
    ['null', 'null'],
    ['a string', '"training"'],
    ['a number', '42'],
    ['deeply nested lists', '['.repeat(50_000) + ']'.repeat(50_000)],
    ['deeply nested mappings', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
    ['wrong types', '{"kind":"training","model":12,"system":"big","training":{"sequenceLength":"long","globalBatchSize":-1}}'],
    ['unknown kind', '{"kind":"weather"}'],
    ['prototype keys', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"kind":"training"}'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x22, 0x7d])],
    [
      'a YAML alias bomb',
      'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ],
    [
      'NaN and huge numbers',
      '{"kind":"inference","model":"llama-3.1-8b","system":{"accelerator":"nvidia-h100-sxm","count":1e308},"workload":{"inputTokens":1e400,"outputTokens":1}}',
    ],
    ['a NUL byte', '{"kind":"training\u0000"}'],
  ];
  for (const [what, body] of bodies) {
    it(`400 for ${what}`, async () => {
      for (const path of ['/v1/train', '/v1/serve', '/v1/export?to=vllm']) {
        const res = await post(path, body, what.includes('YAML') ? 'application/yaml' : 'application/json');
        expect(res.status, path).toBe(400);
        const o = (await res.json()) as { error: { issues: { code: string; message: string }[] } };
        expect(o.error.issues.length).toBeGreaterThan(0);
        expect(o.error.issues.every((i) => typeof i.message === 'string' && i.code !== 'internal_error')).toBe(true);
      }
      expect((await app.request('/v1/models')).status).toBe(200);
    });
  }
  it('bad query parameters are 400 naming the parameter', async () => {
    const s = example('llama3.1-70b-slo.yaml');
    for (const [path, name] of [
      ['/v1/serve?alternatives=-1', '?alternatives'],
      ['/v1/serve?alternatives=1e9', '?alternatives'],
      ['/v1/serve?alternatives=two', '?alternatives'],
      ['/v1/export', '?to'],
      ['/v1/export?to=ollama', '--to'],
      ['/v1/sweep?what=sideways', '?what'],
    ] as const) {
      const res = await post(path, path.startsWith('/v1/sweep') ? example('llama3.1-405b-h100-fixed.yaml') : s);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { issues: { path: string[] }[] } }).error.issues[0]!.path[0]).toBe(name);
    }
  });
  it('any JSON value as a body is a 200 or a 4xx, never a 5xx (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('/v1/train', '/v1/serve', '/v1/cluster', '/v1/goodput'), async (v, path) => {
        const res = await post(path, JSON.stringify(v));
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
      }),
      { numRuns: 40, seed: 13 },
    );
  });
});

describe('the time limit and the bound on concurrent work', () => {
  const slow = JSON.stringify({
    kind: 'goodput',
    model: 'llama-3.1-405b',
    system: { accelerator: 'nvidia-h100-sxm', count: 16384, perNode: 8 },
    training: { sequenceLength: 8192, globalBatchSize: 2048 },
    reliability: { days: 54, trials: 1_000_000 },
  });
  const quick = example('llama3.3-70b-serve-h200.yaml');

  it('a plan past the limit gets 503 with a message, its worker is replaced, and the next request is answered', async () => {
    const p = new PlanPool({ workers: 1, queue: 4, timeLimitMs: 400, alternativesLimit: 8 });
    const a = createApp({ runner: p, limits: { ...limits, workers: 1, timeLimitMs: 400 }, web: null, listings: CLI_LISTINGS });
    try {
      const t0 = performance.now();
      const res = await a.request('/v1/goodput', { method: 'POST', body: slow, headers: { 'content-type': 'application/json' } });
      const waited = performance.now() - t0;
      expect(res.status).toBe(503);
      const o = (await res.json()) as { error: { issues: { code: string; message: string; limit: number }[] } };
      expect(o.error.issues[0]).toMatchObject({ code: 'limit_exceeded', limit: 0.4 });
      expect(o.error.issues[0]!.message).toMatch(/time for this request/);
      expect(waited).toBeGreaterThanOrEqual(390);
      await p.ready(); // the replacement worker has loaded
      const startedBefore = p.started;
      // the same pool (its only worker was ended) still answers, from a fresh worker
      const ok = await a.request('/v1/serve', { method: 'POST', body: quick, headers: { 'content-type': 'application/json' } });
      expect(ok.status).toBe(200);
      expect(p.started).toBe(startedBefore);
      expect(startedBefore).toBe(2);
    } finally {
      await p.close();
    }
  });

  it('beyond the workers and the queue, requests get 503 at once with Retry-After', async () => {
    const p = new PlanPool({ workers: 1, queue: 1, timeLimitMs: 20_000, alternativesLimit: 8 });
    const a = createApp({ runner: p, limits: { ...limits, workers: 1, queue: 1 }, web: null, listings: CLI_LISTINGS });
    try {
      const req = () => a.request('/v1/serve', { method: 'POST', body: quick, headers: { 'content-type': 'application/json' } });
      const [r1, r2, r3] = await Promise.all([req(), req(), req()]);
      const statuses = [r1!.status, r2!.status, r3!.status].sort();
      expect(statuses).toEqual([200, 200, 503]);
      const busy = [r1!, r2!, r3!].find((r) => r.status === 503)!;
      expect(busy.headers.get('retry-after')).toBe('1');
    } finally {
      await p.close();
    }
  });
});

describe('GET /v1/openapi.json', () => {
  it('describes every route and takes the request schemas from the scenario loader', async () => {
    const res = await app.request('/v1/openapi.json');
    const doc = (await res.json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      info: { description: string };
    };
    for (const p of [
      '/v1/train',
      '/v1/serve',
      '/v1/cluster',
      '/v1/goodput',
      '/v1/optimize',
      '/v1/export',
      '/v1/models',
      '/v1/hardware',
      '/v1/calibration',
      '/v1/validation',
    ])
      expect(doc.paths[p]).toBeDefined();
    for (const k of ['training', 'inference', 'cluster', 'goodput'] as const)
      expect(Object.keys(doc.components.schemas[`${k}Scenario`]!.properties).sort()).toEqual(Object.keys(SCENARIO_SCHEMAS[k].shape).sort());
    expect(doc.info.description).toContain(`${limits.bodyBytes} bytes`);
  });
});

describe('the web bundle', () => {
  it('serves its files and the index for client routes, nothing outside the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-web-'));
    mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'web', 'assets', 'a.js'), 'x=1');
    writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const a = createApp({ runner: pool, limits, web: join(dir, 'web'), listings: CLI_LISTINGS });
    const idx = await a.request('/');
    expect(idx.status).toBe(200);
    expect(idx.headers.get('content-type')).toMatch(/text\/html/);
    expect((await a.request('/assets/a.js')).headers.get('content-type')).toMatch(/javascript/);
    expect(await (await a.request('/serving')).text()).toContain('<title>t</title>');
    for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00', '/%E0%A4%A']) {
      const r = await a.request(bad);
      expect(await r.text(), bad).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await a.request('/missing.js')).status).toBe(404);
  });
});
