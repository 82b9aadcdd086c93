import type { Calibration, Efficiency } from '../cost/calibration.js';
import type { Probe } from './probe.js';

/**
 * The constants a fit may move: few, each physical, each bounded. Attention backward is tied to
 * forward by the FlashAttention-2 paper's ratio, so one number per generation describes attention.
 */
export interface FitParam {
  key: string;
  what: string;
  lo: number;
  hi: number;
  get(c: Calibration): number;
  set(c: Calibration, v: number): Calibration;
  /** Whether the parameter can move the probe's prediction (the fitter re-prices only those). */
  affects(p: Probe): boolean;
}

/** Attention backward efficiency relative to forward (FlashAttention-2 paper: backward reaches ~0.7 of forward's fraction). */
export const ATTN_BWD_RATIO = 0.7;

export const FIT_GENERATIONS = ['ampere', 'hopper', 'blackwell'] as const;

function effParam(gen: string, field: 'gemmBf16' | 'gemmFp8' | 'attnFwd', lo: number, hi: number, what: string): FitParam {
  return {
    key: `efficiency.${gen}.${field}`,
    what,
    lo,
    hi,
    get: (c) => (c.efficiency[gen] ?? c.efficiency.default!).value[field],
    set: (c, v) => {
      const prev = c.efficiency[gen] ?? { ...c.efficiency.default!, generation: gen };
      const value: Efficiency = { ...prev.value, [field]: v };
      if (field === 'attnFwd') value.attnBwd = v * ATTN_BWD_RATIO;
      return { ...c, efficiency: { ...c.efficiency, [gen]: { ...prev, generation: gen, value } } };
    },
    affects: (p) => p.kind === 'training' && p.generation === gen,
  };
}

/**
 * One GEMM efficiency per generation: bf16 and fp8 keep the ratio of their microbenchmark ceilings
 * (the priors: MAMF bf16 and fp8 on the same part), so rows in either precision inform both and a
 * generation whose rows are mostly of one precision cannot push the other anywhere unphysical.
 * The key names the bf16 fraction; fp8 follows as prior_fp8 / prior_bf16 times it.
 */
function gemmParam(gen: string): FitParam {
  const bf = effParam(gen, 'gemmBf16', 0.3, 0.95, '');
  const fp = effParam(gen, 'gemmFp8', 0.2, 0.95, '');
  return {
    key: `efficiency.${gen}.gemm`,
    what: `GEMM fraction of peak achieved in training on ${gen} (bf16; fp8 in the ratio of their microbenchmark ceilings)`,
    lo: 0.3,
    hi: 0.95,
    get: (c) => bf.get(c),
    set: (c, v) => {
      const pb = c.priors[`efficiency.${gen}.gemmBf16`]?.value;
      const pf = c.priors[`efficiency.${gen}.gemmFp8`]?.value;
      const withBf = bf.set(c, v);
      return pb && pf ? fp.set(withBf, (v * pf) / pb) : withBf;
    },
    affects: bf.affects,
  };
}

/** Every constant the built-in calibration fits, by key. */
export function fitParams(): FitParam[] {
  const out: FitParam[] = [];
  for (const g of FIT_GENERATIONS) {
    out.push(gemmParam(g));
    out.push(effParam(g, 'attnFwd', 0.1, 0.9, `fused-attention forward fraction of peak on ${g} (backward ${ATTN_BWD_RATIO} of it)`));
  }
  out.push({
    key: 'allToAllFraction',
    what: "expert-parallel all-to-all bandwidth as a share of the links' all-reduce bandwidth (the dispatcher's efficiency)",
    lo: 0.1,
    hi: 1.5,
    get: (c) => c.allToAllFraction,
    set: (c, v) => ({ ...c, allToAllFraction: v }),
    affects: (p) => p.kind === 'training' && p.moe,
  });
  out.push({
    key: 'servingPrefillLayerOverhead',
    what: 'host time per transformer layer of an eagerly launched prefill step, seconds',
    lo: 0,
    hi: 1e-3,
    get: (c) => c.servingPrefillLayerOverhead,
    set: (c, v) => ({ ...c, servingPrefillLayerOverhead: v }),
    affects: (p) => p.kind === 'inference' && p.metric.startsWith('latency.ttft'),
  });
  return out;
}

/** A calibration with each parameter at the value given. */
export function applyParams(base: Calibration, params: FitParam[], values: number[], name: string): Calibration {
  let c: Calibration = { ...base, name };
  params.forEach((p, i) => (c = p.set(c, values[i]!)));
  return c;
}
