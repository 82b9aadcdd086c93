import type { ModelSpec, ParameterCounts } from './types.js';
import { layerWeights, matrixParams, normParams, patternCounts } from './weights.js';

/** Parameters of the attention block of one layer (its norms, q/k norms, sinks and filters included). */
export function attentionParams(m: ModelSpec): number {
  const w = layerWeights(m, 'dense');
  return w.matrices.filter((x) => x.group === 'attention').reduce((s, x) => s + matrixParams(x), 0) + w.vectors;
}

/** Exact parameter counts, total and active, from the one weight description (weights.ts). */
/** memo: idempotent (a model's counts never change; ModelSpec objects are immutable once built) */
const COUNTS = new WeakMap<ModelSpec, ParameterCounts>();

export function countParameters(m: ModelSpec): ParameterCounts {
  let c = COUNTS.get(m);
  if (!c) COUNTS.set(m, (c = countParametersOnce(m)));
  return c;
}

function countParametersOnce(m: ModelSpec): ParameterCounts {
  const h = m.hidden;
  const dense = layerWeights(m, 'dense');
  const attn = attentionParams(m);
  const sum = (w: ReturnType<typeof layerWeights>, ...groups: string[]) =>
    w.matrices.filter((x) => groups.includes(x.group)).reduce((s, x) => s + matrixParams(x), 0);
  const denseMlp = sum(dense, 'mlp');
  const embedding = m.vocab * h;
  const lmHead = m.tiedEmbeddings ? 0 : m.vocab * h + (m.headBias ? m.vocab : 0);
  const positions = m.learnedPositions * h;
  const finalNorm = normParams(m);
  const { dense: denseLayers, moe: moeLayers } = patternCounts(m);

  let expertsPerMoeLayer = 0;
  let moeShared = 0;
  let activeExpertsPerMoeLayer = 0;
  if (m.moe) {
    const w = layerWeights(m, 'moe');
    expertsPerMoeLayer = sum(w, 'experts');
    activeExpertsPerMoeLayer = (expertsPerMoeLayer / m.moe.experts) * m.moe.topK;
    moeShared = sum(w, 'router', 'shared');
  }
  const common = embedding + lmHead + positions + finalNorm + m.layers * attn + denseLayers * denseMlp;
  const nonExpert = common + moeLayers * moeShared;
  const expert = moeLayers * expertsPerMoeLayer;
  const total = nonExpert + expert;
  const active = nonExpert + moeLayers * activeExpertsPerMoeLayer;

  // DeepSeek-V3 MTP module: one full (MoE) layer, a 2h->h projection, three norms, and (as the HF
  // checkpoint stores them) its own copies of the embedding table and output head.
  const mtpLayer = attn + (m.moe ? moeShared + expertsPerMoeLayer : denseMlp) + 2 * h * h + 3 * h + 2 * m.vocab * h;
  const mtp = m.mtpLayers * mtpLayer;

  return {
    total,
    active,
    embedding,
    lmHead,
    positions,
    attentionPerLayer: attn,
    denseMlpPerLayer: denseMlp,
    expertsPerMoeLayer,
    moeSharedPerLayer: moeShared,
    nonExpert,
    expert,
    mtp,
  };
}

/** Chinchilla-optimal training tokens for a parameter count: D ≈ 20·P (Hoffmann et al. 2022). */
export function chinchillaTokens(params: number): number {
  return 20 * params;
}
