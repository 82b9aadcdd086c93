/**
 * HTTP load benchmark (loopback only, bounded in count and time): requests/s and p50/p99
 * latency of POST /v1/serve and /v1/train at 1, 8 and 64 concurrent clients, against the same
 * plans called in process (the baseline, measured in this run), and memory after 10,000
 * requests. Run: npm run bench:http
 */
import { serve as serveLib, train as trainLib } from '../src/api.js';
import { CLI_LISTINGS } from '../src/cli/ui.js';
import { startServer } from '../src/http/server.js';

const SERVE = {
  kind: 'inference',
  model: 'llama-3.1-8b',
  system: { accelerator: 'nvidia-h100-sxm', count: 1 },
  workload: { inputTokens: 1024, outputTokens: 256, concurrency: 16 },
};
const TRAIN = {
  kind: 'training',
  model: 'llama-3.1-8b',
  system: { accelerator: 'nvidia-h100-sxm', count: 64, perNode: 8 },
  training: { sequenceLength: 4096, globalBatchSize: 256 },
};
const MAX_SECONDS = 20;

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function load(url: string, body: string, clients: number, count: number): Promise<{ rps: number; p50: number; p99: number; errors: number; n: number }> {
  const lat: number[] = [];
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  const deadline = t0 + MAX_SECONDS * 1000;
  const client = async () => {
    while (issued < count && performance.now() < deadline) {
      issued++;
      const s = performance.now();
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const secs = (performance.now() - t0) / 1000;
  return { rps: lat.length / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), errors, n: lat.length };
}

function inProcess(f: () => unknown, count: number): { perSecond: number; p50: number } {
  // warm up first (half a second and at least 5 calls), as the server's workers are warmed below
  for (let w = 0, t0 = performance.now(); w < 5 || performance.now() - t0 < 500; w++) f();
  const lat: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    f();
    lat.push(performance.now() - s);
  }
  return { perSecond: 1000 / (lat.reduce((a, b) => a + b, 0) / lat.length), p50: pct(lat, 0.5) };
}

const server = await startServer({ port: 0, listings: CLI_LISTINGS });
console.log(`server ${server.url} (loopback), ${MAX_SECONDS} s at most per run`);
try {
  const base = { serve: inProcess(() => serveLib(SERVE, { files: null }), 200), train: inProcess(() => trainLib(TRAIN, { files: null }), 20) };
  console.log(
    `baseline (library in this process, one thread): serve ${base.serve.perSecond.toFixed(0)} plans/s, p50 ${base.serve.p50.toFixed(2)} ms; train ${base.train.perSecond.toFixed(1)} plans/s, p50 ${base.train.p50.toFixed(1)} ms`,
  );
  // warm the workers
  await load(new URL('/v1/serve', server.url).href, JSON.stringify(SERVE), 4, 40);
  console.log('route        clients  requests  req/s    p50 ms   p99 ms   p50 / in-process  errors');
  for (const [name, body, count, b] of [
    ['/v1/serve', JSON.stringify(SERVE), 2000, base.serve],
    ['/v1/train', JSON.stringify(TRAIN), 200, base.train],
  ] as const) {
    for (const clients of [1, 8, 64]) {
      const r = await load(new URL(name, server.url).href, body, clients, count);
      console.log(
        `${name.padEnd(12)} ${String(clients).padStart(7)}  ${String(r.n).padStart(8)}  ${r.rps.toFixed(1).padStart(7)}  ${r.p50.toFixed(2).padStart(7)}  ${r.p99.toFixed(2).padStart(7)}  ${(r.p50 / b.p50).toFixed(2).padStart(16)}  ${r.errors}`,
      );
    }
  }
  // memory: 10,000 requests, RSS and heap before and after (worker threads are in this process)
  const mem = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
  };
  const before = mem();
  let done = 0;
  for (let round = 0; round < 10 && done < 10_000; round++) done += (await load(new URL('/v1/serve', server.url).href, JSON.stringify(SERVE), 16, 1000)).n;
  const after = mem();
  console.log(
    `memory after ${done} more requests: RSS ${before.rss.toFixed(0)} -> ${after.rss.toFixed(0)} MiB, main-thread heap ${before.heap.toFixed(1)} -> ${after.heap.toFixed(1)} MiB`,
  );
} finally {
  await server.close();
}
