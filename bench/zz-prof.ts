import { defaultContext } from '../src/context/load.js';
import { normalizeInference } from '../src/scenario/inference.js';
import { searchDeployments } from '../src/serve/slo.js';
const ctx = defaultContext();
const catalog = [...ctx.catalog.accelerators.values()];
const n = normalizeInference({ data: { kind: 'inference', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, model: process.argv[2] ?? 'qwen3-30b-a3b', workload: { inputTokens: 4096, outputTokens: 512, requestRate: 5 }, slo: { ttftMs: 500, tpotMs: 40 } }, baseDir: '.', source: 'bench' }, ctx, null);
for (let i = 0; i < 15; i++) searchDeployments(n.job, catalog);
