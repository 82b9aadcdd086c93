import type { ModelSpec } from '../model/types.js';
import type { ExportModel } from './types.js';

/** The architecture facts export needs, read from the model spec the plan was priced with. */
export function exportModel(m: ModelSpec): ExportModel {
  return {
    id: m.id,
    name: m.name,
    layers: m.layers,
    hidden: m.hidden,
    heads: m.attention.heads,
    kvHeads: m.attention.kvHeads,
    headDim: m.attention.headDim,
    ffn: m.mlp.intermediate,
    vocab: m.vocab,
    tiedEmbeddings: m.tiedEmbeddings,
    maxPositions: m.maxPositions,
    norm: m.norm,
    gated: m.mlp.gated,
    learnedPositions: m.learnedPositions > 0,
    moe: m.moe ? { experts: m.moe.experts, topK: m.moe.topK, expertFfn: m.moe.expertIntermediate, sharedFfn: m.moe.sharedIntermediate } : null,
    mla: m.attention.mla !== null,
  };
}
