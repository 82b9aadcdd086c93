import type { CudaGraphs, FrameworkProfile } from '../profiles/types.js';
import { DEFAULT_SELECTIVE, type RecomputeModule, type TrainStack } from './types.js';

/** The switches of a framework profile a plan depends on; `modules` replaces what 'selective' recomputes. */
export function stackOf(
  p: FrameworkProfile,
  modules?: readonly RecomputeModule[],
  o: { cudaGraphs?: CudaGraphs | undefined; moeDispatcher?: FrameworkProfile['moeDispatcher'] | undefined } = {},
): TrainStack {
  return {
    dpOverlap: p.dpOverlap,
    moeDispatcher: o.moeDispatcher ?? p.moeDispatcher,
    fp8PrimaryWeights: p.fp8PrimaryWeights,
    cudaGraphs: o.cudaGraphs ?? p.cudaGraphs,
    offers: p.offers,
    selectiveModules: modules ?? DEFAULT_SELECTIVE,
  };
}
