import { accelerator as catalogAccelerator, rawCatalog } from '../hardware/catalog.js';
import type { Accelerator } from '../hardware/types.js';
import type { FabricInput } from '../fleet/fabric.js';
import { issue, ScenarioError, type Issue } from '../util/issues.js';
import type { RawScenario } from './load.js';
import { zodIssues } from './load.js';
import { clusterScenarioSchema, goodputScenarioSchema, type GoodputScenario } from './schema.js';
import { resolveSystem } from './system.js';

export interface NormalizedCluster {
  accelerator: Accelerator;
  fabric: FabricInput;
  pue: number | undefined;
  switchName: string;
}

/** Switch ports at the per-plane port speed, from a catalog switch or a capacity in Gb/s. */
function radixFor(
  net: { switch?: string | undefined; switchGbps?: number | undefined },
  portGbps: number,
  issues: Issue[],
): { radix: number; name: string } | null {
  if (net.switch !== undefined) {
    const sw = rawCatalog().switches.find((s) => s.id === net.switch);
    if (!sw) {
      issues.push(
        issue(
          'unknown_id',
          ['network', 'switch'],
          `unknown switch '${net.switch}'. Catalog switches: ${rawCatalog()
            .switches.map((s) => s.id)
            .join(', ')}`,
        ),
      );
      return null;
    }
    const radix = typeof sw.radix === 'number' ? sw.radix : null;
    const port = typeof sw.port_gbps === 'number' ? sw.port_gbps : null;
    const cap = radix && port ? radix * port : typeof sw.capacity_tbps === 'number' ? sw.capacity_tbps * 1000 : null;
    if (!cap) {
      issues.push(issue('invalid_value', ['network', 'switch'], `switch '${net.switch}' has no port count or capacity to size a fabric with`));
      return null;
    }
    return { radix: Math.floor(cap / portGbps), name: String(sw.name) };
  }
  const cap = net.switchGbps ?? 51200;
  return { radix: Math.floor(cap / portGbps), name: `${cap / 1000} Tb/s switch` };
}

export function normalizeCluster(raw: RawScenario): NormalizedCluster {
  const parsed = clusterScenarioSchema.safeParse(raw.data);
  if (!parsed.success) throw new ScenarioError(zodIssues(parsed.error, [], raw.data));
  const sc = parsed.data;
  const issues: Issue[] = [];
  const sys = resolveSystem(sc.system, issues);
  if (!sys) throw new ScenarioError(issues);
  const net = sc.network ?? {};
  const planes = net.planes ?? 1;
  const nicGbps = net.nicGbps ?? (sys.accelerator.scaleOut.bandwidth * 8) / 1e9;
  const portGbps = nicGbps / planes;
  const r = radixFor(net, portGbps, issues);
  if (r && r.radix < 2) issues.push(issue('out_of_range', ['network', 'switchGbps'], `the switch has fewer than 2 ports at ${portGbps} Gb/s`));
  if (issues.length || !r) throw new ScenarioError(issues);
  return {
    accelerator: sys.accelerator,
    fabric: {
      accelerators: sys.count,
      perNode: sys.perNode,
      nicsPerNode: net.nicsPerNode ?? sys.perNode,
      nicGbps,
      planes,
      radix: r.radix,
      oversubscription: net.oversubscription ?? 1,
      maxTiers: net.maxTiers ?? 3,
    },
    pue: sc.pue,
    switchName: r.name,
  };
}

export interface NormalizedGoodput {
  scenario: GoodputScenario;
  /** The training part as a training scenario, for the training planner. */
  training: RawScenario;
  accelerator: Accelerator;
}

export function normalizeGoodput(raw: RawScenario): NormalizedGoodput {
  const parsed = goodputScenarioSchema.safeParse(raw.data);
  if (!parsed.success) throw new ScenarioError(zodIssues(parsed.error, [], raw.data));
  const sc = parsed.data;
  const issues: Issue[] = [];
  const sys = resolveSystem(sc.system, issues);
  if (!sys) throw new ScenarioError(issues);
  const { reliability: _r, ...rest } = raw.data as Record<string, unknown>;
  return { scenario: sc, training: { ...raw, data: { ...rest, kind: 'training' } }, accelerator: catalogAccelerator(sys.accelerator.id) ?? sys.accelerator };
}
