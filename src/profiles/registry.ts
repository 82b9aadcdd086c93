import type { KernelTraits } from '../graph/types.js';
import type { EngineProfile, FrameworkOffers, FrameworkProfile, KvPolicy, MemoryReserve, ProfileRegistry } from './types.js';

export interface RawProfile {
  name: string;
  kernels: Omit<KernelTraits, 'attention'> & { attention?: KernelTraits['attention'] };
  attention?: KernelTraits['attention'];
  dpOverlap?: boolean;
  tpOverlap?: boolean;
  moeDispatcher?: FrameworkProfile['moeDispatcher'];
  fp8PrimaryWeights?: boolean;
  cudaGraphs?: FrameworkProfile['cudaGraphs'];
  groupedGemm?: FrameworkProfile['groupedGemm'];
  offers?: FrameworkOffers;
  kv?: KvPolicy;
  memory: MemoryReserve;
  sources: string[];
}

export interface RawProfiles {
  defaultFramework: string;
  defaultEngine: string;
  frameworks: Record<string, RawProfile>;
  engines: Record<string, RawProfile>;
}

export function buildProfiles(raw: RawProfiles): ProfileRegistry {
  const frameworks = new Map<string, FrameworkProfile>(
    Object.entries(raw.frameworks).map(([id, p]) => {
      if (!p.offers) throw new Error(`framework profile ${id} lacks 'offers'`);
      return [
        id,
        {
          id,
          name: p.name,
          kernels: { ...p.kernels, attention: p.attention ?? p.kernels.attention ?? 'fused', groupedGemm: p.groupedGemm ?? 'fused' },
          dpOverlap: p.dpOverlap ?? true,
          tpOverlap: p.tpOverlap ?? true,
          moeDispatcher: p.moeDispatcher ?? null,
          fp8PrimaryWeights: p.fp8PrimaryWeights ?? false,
          cudaGraphs: p.cudaGraphs ?? 'none',
          groupedGemm: p.groupedGemm ?? 'fused',
          offers: p.offers,
          memory: p.memory,
          sources: p.sources,
        },
      ];
    }),
  );
  const engines = new Map<string, EngineProfile>(
    Object.entries(raw.engines).map(([id, p]) => [
      id,
      {
        id,
        name: p.name,
        kernels: { ...p.kernels, attention: p.attention ?? p.kernels.attention ?? 'fused' },
        kv: { poolBase: 'free', ...(p.kv ?? { poolFraction: 0.9, admission: 'on-demand' }) },
        memory: p.memory,
        sources: p.sources,
      },
    ]),
  );
  return { frameworks, engines, defaultFramework: raw.defaultFramework, defaultEngine: raw.defaultEngine };
}
