import type { MatrixRole } from '../model/weights.js';

/**
 * How much a tensor's error matters to the output, relative to the others (the weight of its
 * relative squared error in the accuracy measure, accuracy.ts).
 *
 * The prior (no activation statistics): Sinan's, after llama.cpp's type rules, which encode where
 * quantization error hurts (src/llama-quant.cpp, llama_tensor_get_type, Q4_K_M and Q5_K_M):
 * attn_v and ffn_down get two more bits than the rest in the layers `use_more_bits` picks (the
 * first and last eighth of the blocks, and every third block between), the output head Q6_K. The
 * value and down projections and the first and last eighth of the layers are therefore weighted
 * 4x and 2x; everything else 1. These factors are an assumption, stated in every report; the
 * ranking they encode is llama.cpp's.
 *
 * With activation statistics (the mean square of each input channel, as llama.cpp's imatrix
 * collects them), a tensor's error is measured as the output error of its layer,
 * sum_ij dW_ij^2 E[x_j^2] relative to sum_ij W_ij^2 E[x_j^2] (the diagonal GPTQ/AWQ proxy), and
 * only the position factor remains.
 */

export const IMPORTANCE_SOURCE =
  "Sinan's prior after llama.cpp's type rules (llama-quant.cpp llama_tensor_get_type: attn_v and ffn_down get more bits in the first and last eighth of the layers and every third between): value and down projections x4, the first and last eighth of the layers x2, the rest x1";

const ROLE_FACTOR: Partial<Record<MatrixRole, number>> = {
  v: 4,
  down: 4,
  expert_down: 4,
  shared_down: 4,
  kv_b: 4,
};

/** The position factor: 2 in the first and last eighth of the layers. */
export function positionFactor(layer: number, layers: number): number {
  return layer < layers / 8 || layer >= (7 * layers) / 8 ? 2 : 1;
}

/** The prior weight of a (layer, role) tensor; `activations`: the role factor is replaced by measured output errors. */
export function importance(role: MatrixRole, layer: number, layers: number, activations = false): number {
  return (activations ? 1 : (ROLE_FACTOR[role] ?? 1)) * positionFactor(layer, layers);
}
