import { countParameters } from '../model/params.js';
import type { ModelSpec } from '../model/types.js';

/**
 * Model-state bytes of mixed-precision Adam: 2-byte weights, 2-byte gradients, and a
 * 12-byte fp32 master copy plus two moments (Rajbhandari et al., ZeRO, 2020: 16 bytes per
 * parameter). The per-device share under ZeRO stage `zero` over `dp` data-parallel ranks.
 */
export function modelStateBytes(params: number, zero: 0 | 1 | 2 | 3, dp: number, gradientBytes = 2) {
  const weights = (params * 2) / (zero >= 3 ? dp : 1);
  const gradients = (params * gradientBytes) / (zero >= 2 ? dp : 1);
  const optimizer = (params * 12) / (zero >= 1 ? dp : 1);
  return { weights, gradients, optimizer, total: weights + gradients + optimizer };
}

/** Fewest devices whose memory holds the model states when all of them are sharded (ZeRO-3). */
export function minDevicesForModelStates(m: ModelSpec, capacityBytes: number): number {
  const total = modelStateBytes(countParameters(m).total, 0, 1).total;
  return Math.ceil(total / capacityBytes);
}
