import { layerWeights, type MatrixRole } from '../model/weights.js';
import type { ModelSpec } from '../model/types.js';

/**
 * The weight tensors the optimizer decides on: the linear layers of each transformer block, named
 * as Hugging Face checkpoints name them, with the layer and matrix role the serving model prices
 * them by (model/weights.ts). Embeddings, norms, routers and the output head stay in 16 bits.
 */

export interface WeightTensor {
  /** Checkpoint tensor name (`model.layers.3.self_attn.q_proj.weight`). */
  name: string;
  layer: number;
  role: MatrixRole;
  /** [out, in] as stored. */
  shape: [number, number];
}

/** Role of a Hugging Face linear-layer name inside `model.layers.N.`, or null (routers, norms, unknown modules). */
const ROLE_PATTERNS: readonly [RegExp, MatrixRole][] = [
  [/^self_attn\.q_proj$/, 'q'],
  [/^self_attn\.k_proj$/, 'k'],
  [/^self_attn\.v_proj$/, 'v'],
  [/^self_attn\.o_proj$/, 'o'],
  [/^self_attn\.q_a_proj$/, 'q_a'],
  [/^self_attn\.q_b_proj$/, 'q_b'],
  [/^self_attn\.kv_a_proj_with_mqa$/, 'kv_a'],
  [/^self_attn\.kv_b_proj$/, 'kv_b'],
  [/^mlp\.gate_proj$/, 'gate'],
  [/^mlp\.up_proj$/, 'up'],
  [/^mlp\.down_proj$/, 'down'],
  [/^mlp\.experts\.\d+\.gate_proj$/, 'expert_gate'],
  [/^mlp\.experts\.\d+\.up_proj$/, 'expert_up'],
  [/^mlp\.experts\.\d+\.down_proj$/, 'expert_down'],
  [/^block_sparse_moe\.experts\.\d+\.w1$/, 'expert_gate'],
  [/^block_sparse_moe\.experts\.\d+\.w3$/, 'expert_up'],
  [/^block_sparse_moe\.experts\.\d+\.w2$/, 'expert_down'],
  [/^mlp\.shared_experts?\.gate_proj$/, 'shared_gate'],
  [/^mlp\.shared_experts?\.up_proj$/, 'shared_up'],
  [/^mlp\.shared_experts?\.down_proj$/, 'shared_down'],
];

/** Layer and role of a checkpoint tensor name, or null when it is not a linear weight of a block Sinan decides on. */
export function parseTensorName(name: string): { layer: number; role: MatrixRole } | null {
  const m = /^(?:model\.)?layers\.(\d+)\.(.+)\.weight$/.exec(name);
  if (!m) return null;
  for (const [re, role] of ROLE_PATTERNS) if (re.test(m[2]!)) return { layer: Number(m[1]), role };
  return null;
}

const HF_NAME: Partial<Record<MatrixRole, string>> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  q_a: 'self_attn.q_a_proj',
  q_b: 'self_attn.q_b_proj',
  kv_a: 'self_attn.kv_a_proj_with_mqa',
  kv_b: 'self_attn.kv_b_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
  shared_gate: 'mlp.shared_experts.gate_proj',
  shared_up: 'mlp.shared_experts.up_proj',
  shared_down: 'mlp.shared_experts.down_proj',
};

/**
 * The tensors of a model described by its config alone (no checkpoint), with Hugging Face's
 * names; routed experts as `mlp.experts.E.*_proj`.
 */
export function modelTensors(m: ModelSpec): WeightTensor[] {
  const out: WeightTensor[] = [];
  m.pattern.forEach((l, i) => {
    for (const w of layerWeights(m, l.mlp === 'moe' && m.moe ? 'moe' : 'dense').matrices) {
      if (w.role === 'router' || w.role === 'lf_conv1' || w.role === 'lf_conv2') continue;
      const shape: [number, number] = [w.out, w.in];
      if (w.group === 'experts') {
        const part = w.role === 'expert_gate' ? 'gate_proj' : w.role === 'expert_up' ? 'up_proj' : 'down_proj';
        for (let e = 0; e < w.count; e++) out.push({ name: `model.layers.${i}.mlp.experts.${e}.${part}.weight`, layer: i, role: w.role, shape });
      } else out.push({ name: `model.layers.${i}.${HF_NAME[w.role] ?? w.role}.weight`, layer: i, role: w.role, shape });
    }
  });
  return out;
}
