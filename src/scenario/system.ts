import { accelerator, accelerators } from '../hardware/catalog.js';
import type { Accelerator } from '../hardware/types.js';
import type { FabricOverrides } from '../cost/topology.js';
import { issue, type Issue } from '../util/issues.js';
import type { SystemInput } from './schema.js';

export interface ResolvedSystem {
  accelerator: Accelerator;
  count: number;
  perNode: number;
  fabric: FabricOverrides;
  pricePerHour: number;
}

/** Resolves `system` (catalog id or inline spec, count, node size, fabric overrides). */
export function resolveSystem(s: SystemInput, issues: Issue[]): ResolvedSystem | null {
  let acc: Accelerator | undefined;
  if (typeof s.accelerator === 'string') {
    acc = accelerator(s.accelerator);
    if (!acc) {
      issues.push(
        issue(
          'unknown_id',
          ['system', 'accelerator'],
          `unknown accelerator '${s.accelerator}'. Catalog ids: ${accelerators()
            .map((a) => a.id)
            .join(', ')}`,
        ),
      );
      return null;
    }
  } else if (s.accelerator) {
    const x = s.accelerator;
    acc = {
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
      hostLinkBandwidth: 32e9,
      perNode: x.scaleUpDomain ?? 8,
      tdpWatts: null,
      pricePerHour: x.pricePerHour ?? 2,
      priceSource: 'inline spec',
      sources: ['inline scenario spec'],
      unverified: [],
    };
  } else {
    issues.push(issue('missing_key', ['system', 'accelerator'], 'this command needs system.accelerator'));
    return null;
  }
  const count = s.count ?? 1;
  let perNode = s.perNode ?? Math.min(acc.perNode, count);
  if (s.perNode === undefined && count < perNode) perNode = count;
  if (perNode > count) issues.push(issue('out_of_range', ['system', 'perNode'], `perNode (${perNode}) exceeds count (${count})`));
  return {
    accelerator: acc,
    count,
    perNode,
    fabric: {
      domain: s.scaleUp?.domain,
      scaleUpGBps: s.scaleUp?.bandwidthGBps,
      scaleOutGBps: s.scaleOut?.bandwidthGBps,
      scaleOutLatencyUs: s.scaleOut?.latencyUs,
    },
    pricePerHour: s.pricePerHour ?? acc.pricePerHour,
  };
}
