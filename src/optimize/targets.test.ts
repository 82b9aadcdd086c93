import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { optimize } from '../api.js';
import { ctx } from '../../test/ctx.js';
import { fusedGroup, loadsOn, TARGETS } from './targets.js';

const example = parse(readFileSync('examples/llama3.1-70b-optimize-a100.yaml', 'utf8')) as Record<string, unknown>;
const vendorOf = (id: string) => [...ctx.catalog.accelerators.values()].find((a) => id.endsWith(a.id))?.vendor;

describe('where the written files load', () => {
  it('vLLM loads compressed-tensors INT4/INT8 only on NVIDIA; llama.cpp GGUF on NVIDIA and AMD, and on CPUs', () => {
    expect(loadsOn(TARGETS['compressed-tensors'], 'NVIDIA')).toBe(true);
    expect(loadsOn(TARGETS['compressed-tensors'], 'Intel (Habana)')).toBe(false);
    expect(loadsOn(TARGETS.gguf, 'AMD')).toBe(true);
    expect(loadsOn(TARGETS.gguf, null)).toBe(true);
    expect(loadsOn(TARGETS.bitsandbytes, null)).toBe(false);
  });

  it('the cheaper-devices row of a vLLM plan is an accelerator vLLM loads the checkpoint on', () => {
    const r = optimize(example);
    if (!r.ok) throw new Error('optimize failed');
    const row = r.value.rows.find((x) => x.label === 'cheaper devices')!;
    expect(vendorOf(row.plan.system.target)).toBe('NVIDIA');
  });

  it('a baseline on hardware the engine does not load the format on carries a warning naming the system', () => {
    const r = optimize({ ...example, system: { accelerator: 'amd-mi300x', count: 8 } });
    if (!r.ok) throw new Error('optimize failed');
    const w = r.value.warnings.find((x) => x.path?.[0] === 'system' && /not known to load compressed-tensors/.test(x.message));
    expect(w).toBeDefined();
  });
});

describe('fusedGroup', () => {
  it("puts every projection of a layer's experts in one group (vLLM's FusedMoE takes one scheme), q/k/v and gate/up in theirs", () => {
    expect(new Set(['expert_gate', 'expert_up', 'expert_down'].map(fusedGroup)).size).toBe(1);
    expect(fusedGroup('q')).toBe(fusedGroup('v'));
    expect(fusedGroup('gate')).toBe(fusedGroup('up'));
    expect(fusedGroup('down')).not.toBe(fusedGroup('gate'));
    expect(fusedGroup('shared_down')).not.toBe(fusedGroup('shared_gate'));
  });
});
