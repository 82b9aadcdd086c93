import type { PlanContext } from '../context/types.js';
import type { FabricOverrides } from '../cost/topology.js';
import { mkIssue, type Issue } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import type { CpuSocket } from '../hardware/cpu.js';
import type { Accelerator } from '../hardware/types.js';
import type { SystemInput } from './schema.js';

export interface ResolvedSystem {
  accelerator: Accelerator;
  count: number;
  perNode: number;
  fabric: FabricOverrides;
  pricePerHour: number;
}

function inlineAccelerator(x: Exclude<SystemInput['accelerator'], string | undefined>): Accelerator {
  return {
    id: x.id ?? 'custom-accelerator',
    name: x.name ?? x.id ?? 'custom accelerator',
    vendor: '',
    architecture: x.architecture ?? 'custom',
    peakFlops: {
      fp32: null,
      tf32: null,
      bf16: x.bf16Tflops * 1e12,
      fp16: x.bf16Tflops * 1e12,
      fp8: x.fp8Tflops ? x.fp8Tflops * 1e12 : null,
      fp4: null,
      int8: null,
    },
    memoryBytes: x.memoryGB * 1e9,
    memoryBandwidth: x.memoryBandwidthGBps * 1e9,
    scaleUp: {
      tech: x.scaleUpGBps ? 'custom scale-up' : 'PCIe (no scale-up fabric)',
      bandwidth: (x.scaleUpGBps ?? 32) * 1e9,
      domain: x.scaleUpDomain ?? 8,
      inNetworkReduction: false,
    },
    scaleOut: { bandwidth: (x.scaleOutGBps ?? 50) * 1e9, source: 'inline spec' },
    hostLinkBandwidth: (x.hostLinkGBps ?? 32) * 1e9,
    perNode: x.scaleUpDomain ?? 8,
    tdpWatts: null,
    pricePerHour: x.pricePerHour ?? 2,
    priceSource: 'inline spec',
    sources: ['inline scenario spec'],
    unverified: [],
  };
}

/** The issue for an accelerator id the catalog does not hold, with the nearest one. */
export function unknownAccelerator(id: string, ctx: PlanContext): Issue {
  const ids = [...ctx.catalog.accelerators.keys()];
  return mkIssue({
    code: 'unknown_id',
    path: ['system', 'accelerator'],
    kind: 'accelerator',
    id,
    candidates: ids,
    suggestion: closest(id, ids),
    hint: "see 'sinan hardware --kind accelerator', or give an inline spec",
  });
}

/** Resolves `system` for an accelerator (catalog id or inline spec, count, node size, fabric overrides). */
export function resolveSystem(s: SystemInput, ctx: PlanContext, issues: Issue[]): ResolvedSystem | null {
  let acc: Accelerator | undefined;
  if (typeof s.accelerator === 'string') {
    acc = ctx.catalog.accelerators.get(s.accelerator);
    if (!acc) {
      issues.push(unknownAccelerator(s.accelerator, ctx));
      return null;
    }
  } else if (s.accelerator) {
    acc = inlineAccelerator(s.accelerator);
  } else {
    issues.push(mkIssue({ code: 'missing_key', path: ['system', 'accelerator'], key: 'accelerator', hint: 'this command needs a GPU or other accelerator' }));
    return null;
  }
  if (s.count === undefined) {
    issues.push(mkIssue({ code: 'missing_key', path: ['system', 'count'], key: 'count', hint: 'the total number of devices' }));
    return null;
  }
  if (s.cpu !== undefined || s.sockets !== undefined)
    issues.push(
      mkIssue({
        code: 'conflict',
        path: ['system', 'cpu'],
        keys: ['system.accelerator', 'system.cpu'],
        reason: 'a system has accelerators or CPU sockets as its devices, not both',
      }),
    );
  const count = s.count;
  let perNode = s.perNode ?? Math.min(acc.perNode, count);
  if (s.perNode === undefined && count < perNode) perNode = count;
  if (perNode > count)
    issues.push(
      mkIssue({ code: 'too_big', path: ['system', 'perNode'], maximum: count, inclusive: true, value: perNode, what: 'perNode (at most system.count)' }),
    );
  return {
    accelerator: acc,
    count,
    perNode,
    fabric: {
      domain: s.scaleUp?.domain,
      scaleUpGBps: s.scaleUp?.bandwidthGBps,
      scaleOutGBps: s.scaleOut?.bandwidthGBps,
      scaleOutLatencyUs: s.scaleOut?.latencyUs,
      scaleUpInNetwork: s.scaleUp?.inNetworkReduction,
      scaleOutInNetwork: s.scaleOut?.inNetworkReduction,
    },
    pricePerHour: s.pricePerHour ?? acc.pricePerHour,
  };
}

/** Resolves a CPU-only system (catalog CPU, sockets, optional bandwidth override). */
export function resolveCpu(s: SystemInput, ctx: PlanContext, issues: Issue[]): { cpu: CpuSocket; sockets: number } | null {
  let cpu = ctx.catalog.cpus.get(s.cpu!);
  if (!cpu) {
    const ids = [...ctx.catalog.cpus.keys()];
    issues.push(
      mkIssue({
        code: 'unknown_id',
        path: ['system', 'cpu'],
        kind: 'CPU',
        id: s.cpu!,
        candidates: ids,
        suggestion: closest(s.cpu!, ids),
        hint: "see 'sinan hardware --kind cpu'",
      }),
    );
    return null;
  }
  if (s.accelerator !== undefined || s.count !== undefined)
    issues.push(
      mkIssue({
        code: 'conflict',
        path: ['system', 'cpu'],
        keys: ['system.cpu', s.accelerator !== undefined ? 'system.accelerator' : 'system.count'],
        reason: 'a CPU-only system counts sockets (system.sockets), not accelerators',
      }),
    );
  if (s.memoryBandwidthGBps !== undefined)
    cpu = { ...cpu, memoryBandwidth: s.memoryBandwidthGBps * 1e9, measuredFraction: 1, measuredSource: 'system.memoryBandwidthGBps (taken as achieved)' };
  return { cpu, sockets: s.sockets ?? 1 };
}
