/**
 * Search-speed benchmark: candidates evaluated per second on one core, against a baseline
 * measured in the same run: evaluating the best plan one candidate at a time through the
 * public evaluatePlan() (operator graph priced afresh, report objects built), which is what
 * a planner without per-shape caching and typed-array assembly does per candidate.
 * Usage: npm run bench
 */
import { defaultContext } from '../src/context/load.js';
import { modelFromHfConfig } from '../src/model/hf.js';
import { evaluatePlan } from '../src/train/report.js';
import { searchPlans } from '../src/train/search.js';
import type { TrainJob } from '../src/train/types.js';
import { trainJob } from '../test/ctx.js';

const ctx = defaultContext();
const builtinModel = (id: string) => ctx.models.get(id);

// Megatron-Turing NLG 530B (Smith et al. 2022): 105 layers, hidden 20480, 128 heads, seq 2048.
const mtnlg = modelFromHfConfig(
  {
    model_type: 'gpt2',
    hidden_size: 20480,
    num_hidden_layers: 105,
    num_attention_heads: 128,
    intermediate_size: 81920,
    vocab_size: 51200,
    max_position_embeddings: 2048,
  },
  ['model'],
  'gpt-530b',
).model!;

const cases: [string, TrainJob][] = [
  ['Llama-3.1-405B on 16,384 H100 (seq 8192, batch 2048)', trainJob(builtinModel('llama-3.1-405b')!, 'nvidia-h100-sxm', 16384, 8192, 2048)],
  [
    'GPT 530B on 5,128 A100 (the Calculon problem; batch 2564 = 4 x 641 so that data parallelism can divide it)',
    trainJob(mtnlg, 'nvidia-a100-80gb-sxm', 5128, 2048, 2564),
  ],
  ['DeepSeek-V3 on 2,048 H800 (seq 4096, batch 15360)', trainJob(builtinModel('deepseek-v3')!, 'nvidia-h800-sxm', 2048, 4096, 15360)],
];

for (const [name, j] of cases) {
  // warm up (JIT), then measure the median of several runs
  // (at least 10 runs and half a second, so that the JIT has settled on every path)
  for (let w = 0, t0 = performance.now(); w < 10 || performance.now() - t0 < 500; w++) searchPlans(j, {});
  const times: number[] = [];
  let evaluated = 0;
  for (let i = 0; i < 11; i++) {
    const t1 = performance.now();
    const r = searchPlans(j, {}, { alternatives: 4 });
    times.push((performance.now() - t1) / 1000);
    evaluated = r.evaluated;
  }
  times.sort((a, b) => a - b);
  const t = times[5]!;
  const best = searchPlans(j, {}).best!;
  const plan = {
    ...best.parallelism,
    zero: best.parallelism.zero as 0 | 1 | 2 | 3,
    microBatchSize: best.training.microBatchSize,
    recompute: best.training.recompute as 'none',
    recomputeLayers: 0,
    offloadLayers: 0,
    precision: best.training.precision as 'bf16',
  };
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) {
    evaluatePlan(j, plan);
    n++;
  }
  const naiveRate = n / ((performance.now() - t0) / 1000);
  const rate = evaluated / t;
  console.log(
    `${name}: ${evaluated.toLocaleString()} candidates in ${(t * 1000).toFixed(1)} ms = ${Math.round(rate).toLocaleString()} candidates/s; ` +
      `one-at-a-time baseline ${Math.round(naiveRate).toLocaleString()}/s (${(rate / naiveRate).toFixed(0)}x)`,
  );
}
// Calculon reference (training-anchors.md 1.5): ~54 s for the 530B / 5,128 A100 search on this 2-core machine.
