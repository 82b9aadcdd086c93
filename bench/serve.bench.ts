/**
 * SLO-search benchmark: the full catalog search for the cheapest deployment meeting an SLO,
 * against a baseline measured in the same run (evaluating one fixed plan at a time).
 * Usage: npx tsx bench/serve.bench.ts
 */
import { defaultContext } from '../src/context/load.js';
import { normalizeInference } from '../src/scenario/inference.js';
import { engineFor } from '../src/serve/offload.js';
import { evaluateServe } from '../src/serve/report.js';
import { searchDeployments } from '../src/serve/slo.js';

const ctx = defaultContext();
const catalog = [...ctx.catalog.accelerators.values()];

const cases: [string, Record<string, unknown>][] = [
  [
    'Llama-3.1-70B, 2 req/s, TTFT 1 s, TPOT 50 ms',
    { model: 'llama-3.1-70b', workload: { inputTokens: 2048, outputTokens: 256, requestRate: 2 }, slo: { ttftMs: 1000, tpotMs: 50 } },
  ],
  [
    'Llama-3.1-8B, 20 req/s, TTFT 300 ms, TPOT 30 ms',
    { model: 'llama-3.1-8b', workload: { inputTokens: 1024, outputTokens: 512, requestRate: 20 }, slo: { ttftMs: 300, tpotMs: 30 } },
  ],
  [
    'Qwen3-30B-A3B, 5 req/s, TTFT 500 ms, TPOT 40 ms',
    { model: 'qwen3-30b-a3b', workload: { inputTokens: 4096, outputTokens: 512, requestRate: 5 }, slo: { ttftMs: 500, tpotMs: 40 } },
  ],
];
for (const [name, d] of cases) {
  const n = normalizeInference(
    { data: { kind: 'inference', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, ...d }, baseDir: '.', source: 'bench' },
    ctx,
    null,
  );
  // warm up: at least 10 runs and half a second, so that the JIT has settled on every path
  for (let w = 0, t0 = performance.now(); w < 10 || performance.now() - t0 < 500; w++) searchDeployments(n.job, catalog);
  const times: number[] = [];
  let evaluated = 0;
  for (let i = 0; i < 11; i++) {
    const t1 = performance.now();
    const s = searchDeployments(n.job, catalog);
    times.push((performance.now() - t1) / 1000);
    evaluated = s.evaluated;
  }
  times.sort((a, b) => a - b);
  const t = times[5]!;
  const e = engineFor({ ...n.job, workload: { ...n.job.workload, concurrency: 16, requestRate: null } }, { tensor: 1, pipeline: 1, expert: 1 });
  let k = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) {
    evaluateServe(e);
    k++;
  }
  const one = (performance.now() - t0) / 1000 / k;
  console.log(
    `${name}: ${evaluated.toLocaleString()} plans over the catalog in ${(t * 1000).toFixed(0)} ms (${Math.round(evaluated / t).toLocaleString()} plans/s; one plan alone ${(one * 1e6).toFixed(0)} us)`,
  );
}
