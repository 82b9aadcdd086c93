import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import type { ClusterRequest, GoodputRequest } from '../fleet/types.js';
import type { RawScenario } from './load.js';
import { parseScenario } from './parse.js';
import { clusterScenarioSchema, goodputScenarioSchema } from './schema.js';
import { resolveSystem } from './system.js';
import { normalizeTraining } from './training.js';

/** Switch ports at the per-plane port speed, from a catalog switch or a capacity in Gb/s. */
function radixFor(
  net: { switch?: string | undefined; switchGbps?: number | undefined },
  portGbps: number,
  ctx: PlanContext,
  issues: Issue[],
): { radix: number; name: string } | null {
  if (net.switch !== undefined) {
    const all = ctx.catalog.raw.switches;
    const sw = all.find((s) => s.id === net.switch);
    if (!sw) {
      const ids = all.map((s) => String(s.id));
      issues.push(
        mkIssue({ code: 'unknown_id', path: ['network', 'switch'], kind: 'switch', id: net.switch, candidates: ids, suggestion: closest(net.switch, ids) }),
      );
      return null;
    }
    const radix = typeof sw.radix === 'number' ? sw.radix : null;
    const port = typeof sw.port_gbps === 'number' ? sw.port_gbps : null;
    const cap = radix && port ? radix * port : typeof sw.capacity_tbps === 'number' ? sw.capacity_tbps * 1000 : null;
    if (!cap) {
      issues.push(
        mkIssue({
          code: 'invalid_value',
          path: ['network', 'switch'],
          value: net.switch,
          reason: 'this catalog switch has no port count or capacity to size a fabric with',
        }),
      );
      return null;
    }
    return { radix: Math.floor(cap / portGbps), name: String(sw.name) };
  }
  const cap = net.switchGbps ?? 51200;
  return { radix: Math.floor(cap / portGbps), name: `${cap / 1000} Tb/s switch` };
}

export function normalizeCluster(raw: RawScenario, ctx: PlanContext): ClusterRequest {
  const sc = parseScenario(clusterScenarioSchema, raw.data, ctx);
  const issues: Issue[] = [];
  const sys = resolveSystem(sc.system, ctx, issues);
  if (!sys) throw new IssueError(issues);
  const net = sc.network ?? {};
  const planes = net.planes ?? 1;
  const nicGbps = net.nicGbps ?? (sys.accelerator.scaleOut.bandwidth * 8) / 1e9;
  const portGbps = nicGbps / planes;
  const r = radixFor(net, portGbps, ctx, issues);
  if (r && r.radix < 2)
    issues.push(
      mkIssue({
        code: 'too_small',
        path: ['network', 'switchGbps'],
        minimum: 2 * portGbps,
        inclusive: true,
        value: r.radix * portGbps,
        what: `switch capacity in Gb/s (2 ports of ${portGbps} Gb/s at least)`,
      }),
    );
  if (issues.length || !r) throw new IssueError(issues);
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

export function normalizeGoodput(raw: RawScenario, ctx: PlanContext, files: FileAccess | null): GoodputRequest {
  const sc = parseScenario(goodputScenarioSchema, raw.data, ctx);
  const { reliability: _r, ...rest } = raw.data as Record<string, unknown>;
  const training = normalizeTraining({ ...raw, data: { ...rest, kind: 'training' } }, ctx, files);
  return { training, reliability: sc.reliability };
}
