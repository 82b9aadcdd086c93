import type { KernelTraits } from '../graph/types.js';
import type { EngineProfile, FrameworkProfile, KvPolicy, MemoryReserve, ProfileRegistry } from './types.js';

export interface RawProfile {
  name: string;
  kernels: KernelTraits;
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
  const frameworks = new Map<string, FrameworkProfile>(Object.entries(raw.frameworks).map(([id, p]) => [id, { id, ...p }]));
  const engines = new Map<string, EngineProfile>(
    Object.entries(raw.engines).map(([id, p]) => [id, { id, ...p, kv: p.kv ?? { poolFraction: 0.9, admission: 'on-demand' } }]),
  );
  return { frameworks, engines, defaultFramework: raw.defaultFramework, defaultEngine: raw.defaultEngine };
}
