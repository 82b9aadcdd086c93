import type { ModelSpec } from '../model/types.js';
import { normParams } from '../model/weights.js';
import type { Comm, Gemm, HeadGraph, Load, Split } from './types.js';

const BF16 = 2;

/** The output-head GEMM's constant fields (16-bit weights and activations; m, n, k set per use). */
export const HEAD_GEMM: Gemm = { name: 'lm_head', m: 0, n: 0, k: 0, count: 1, grouped: false, precision: 'bf16', weightBytes: BF16, actBytes: BF16 };

/**
 * Output head (logits, and in training the loss) and the embedding on one device. Training
 * computes logits for every token; inference for the tokens that are sampled (each decoded or
 * verified token, and the last token of each prompt).
 */
export function buildHead(m: ModelSpec, s: Split, load: Load): HeadGraph {
  const h = m.hidden;
  const V = m.vocab / s.tp;
  let T = 0;
  let rows = 0;
  for (const g of load.segments) {
    T += (g.seqs * g.newTokens) / s.cp;
    rows += load.training ? (g.seqs * g.newTokens) / s.cp : g.seqs * (g.pastTokens > 0 ? g.newTokens : 1);
  }
  const Tr = s.sp ? T / s.tp : T;
  const comms: Comm[] = [];
  let elementwiseBytes = 0;
  let activationBytes = 0;
  if (load.training) {
    if (s.tp > 1) comms.push({ kind: s.sp ? 'tp_allgather' : 'tp_allreduce', bytes: T * h * BF16, count: 1 });
    // fp32 logits for the vocab-parallel cross-entropy (softmax, loss and its gradient)
    elementwiseBytes = 4 * T * V * 3 + BF16 * 4 * Tr * h;
    activationBytes = T * V * (BF16 + 4) + BF16 * 2 * Tr * h;
  }
  const embedding = (m.vocab * h + m.learnedPositions * h) / s.tp;
  // the output head's matrix (vocab-parallel) and the final norm before it (replicated)
  const head = (m.tiedEmbeddings ? 0 : (m.vocab * h + (m.headBias ? m.vocab : 0)) / s.tp) + normParams(m);
  return {
    gemms: [
      {
        name: HEAD_GEMM.name,
        m: rows,
        n: V,
        k: h,
        count: 1,
        grouped: false,
        precision: HEAD_GEMM.precision,
        weightBytes: HEAD_GEMM.weightBytes,
        actBytes: HEAD_GEMM.actBytes,
        launches: 1,
        separate: false,
      },
    ],
    elementwiseBytes,
    activationBytes,
    comms,
    params: { embedding, head },
    weightBytes: BF16 * (embedding + head),
  };
}
