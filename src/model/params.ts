import type { ModelSpec, ParameterCounts } from './types.js';

/** Parameters of the attention block of one layer, including its norms. */
export function attentionParams(m: ModelSpec): number {
  const a = m.attention;
  const h = m.hidden;
  let p: number;
  if (a.mla) {
    const q = a.mla;
    const qkHead = q.qkNopeHeadDim + q.qkRopeHeadDim;
    const qProj = q.qLoraRank === null ? h * a.heads * qkHead : h * q.qLoraRank + q.qLoraRank + q.qLoraRank * a.heads * qkHead;
    const kvA = h * (q.kvLoraRank + q.qkRopeHeadDim) + q.kvLoraRank;
    const kvB = q.kvLoraRank * a.heads * (q.qkNopeHeadDim + q.vHeadDim);
    const out = a.heads * q.vHeadDim * h;
    p = qProj + kvA + kvB + out;
  } else {
    const dq = a.heads * a.headDim;
    const dkv = a.kvHeads * a.headDim;
    p = h * (dq + 2 * dkv) + dq * h;
    if (a.qkvBias) p += dq + 2 * dkv;
    if (a.qkNorm) p += 2 * a.headDim;
  }
  if (a.outBias) p += h;
  if (a.sinks) p += a.heads;
  if (m.localizedFiltering) {
    // Yuan 2.0 LFA: conv(h -> h/2, kernel 2) and conv(h/2 -> h, kernel 2), with biases, plus an RMSNorm.
    p += 2 * h * (h / 2) * 2 + h / 2 + h + h;
  }
  p += m.normsPerLayer * normParams(m);
  return p;
}

function normParams(m: ModelSpec): number {
  return m.hidden * (m.normBias ? 2 : 1);
}

/** Parameters of a (gated or plain) MLP of the given width. */
export function mlpParams(h: number, width: number, gated: boolean, bias: boolean): number {
  const mats = gated ? 3 : 2;
  let p = mats * h * width;
  if (bias) p += (gated ? 2 : 1) * width + h;
  return p;
}

/** Exact parameter counts, total and active, split the way the memory model needs them. */
export function countParameters(m: ModelSpec): ParameterCounts {
  const h = m.hidden;
  const attn = attentionParams(m);
  const denseMlp = mlpParams(h, m.mlp.intermediate, m.mlp.gated, m.mlp.bias);
  const embedding = m.vocab * h;
  const lmHead = m.tiedEmbeddings ? 0 : m.vocab * h;
  const positions = m.learnedPositions * h;
  const finalNorm = normParams(m);

  let expertsPerMoeLayer = 0;
  let moeShared = 0;
  let activeExpertsPerMoeLayer = 0;
  const moeLayers = m.moe ? m.moe.moeLayers : 0;
  if (m.moe) {
    const e = m.moe;
    const one = mlpParams(h, e.expertIntermediate, m.mlp.gated, e.expertBias);
    expertsPerMoeLayer = e.experts * one;
    activeExpertsPerMoeLayer = e.topK * one;
    moeShared = e.experts * h + (e.routerBias ? e.experts : 0);
    if (e.sharedIntermediate > 0) moeShared += mlpParams(h, e.sharedIntermediate, m.mlp.gated, false);
  }
  const denseLayers = m.layers - moeLayers;
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
