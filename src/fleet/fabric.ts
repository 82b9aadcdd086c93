/**
 * Sizing of a rail-optimised, optionally multi-plane, folded-Clos back-end network.
 * Every node has `nicsPerNode` NICs (one per rail); a NIC of `nicGbps` is split into
 * `planes` ports of nicGbps/planes, each on its own independent plane (HPN dual-plane).
 * Leaves keep `down` of their `radix` ports for endpoints and the rest for uplinks
 * (half and half when non-blocking), which is also what lets one tier grow into two.
 */

export interface FabricInput {
  accelerators: number;
  perNode: number;
  nicsPerNode: number;
  nicGbps: number;
  planes: number;
  /** Ports per switch at the per-plane port speed (nicGbps / planes). */
  radix: number;
  /** Leaf downlink:uplink ratio (1 = non-blocking). */
  oversubscription: number;
  /** Most switch tiers allowed. */
  maxTiers: number;
}

export interface FabricDesign {
  tiers: number;
  /** Largest accelerator count reachable with 1, 2 and 3 tiers. */
  maxAcceleratorsByTiers: number[];
  servers: number;
  rails: number;
  planes: number;
  portGbps: number;
  radix: number;
  /** Switches per tier, all planes together (tier 1 = leaves). */
  switchesPerTier: number[];
  switchesTotal: number;
  /** Links per level: NIC to leaf, then tier t to tier t+1. */
  linksPerLevel: number[];
  linksTotal: number;
  /** Optical modules (two per link). */
  transceivers: number;
  bisectionGbps: number;
  oversubscription: number;
}

function downPorts(f: FabricInput): number {
  const down = Math.floor((f.radix * f.oversubscription) / (f.oversubscription + 1));
  return Math.max(1, down);
}

/** Endpoints (NIC ports) one plane can hold with t tiers. */
export function endpointsByTiers(f: FabricInput, t: number): number {
  const k = f.radix;
  const kDown = downPorts(f);
  if (t <= 1) return kDown * f.nicsPerNode; // one leaf per rail, kDown servers
  return kDown * k * Math.pow(k / 2, t - 2);
}

export function maxAcceleratorsByTiers(f: FabricInput, upTo = 3): number[] {
  const out: number[] = [];
  for (let t = 1; t <= upTo; t++) {
    const endpoints = endpointsByTiers(f, t);
    out.push(Math.floor((endpoints / f.nicsPerNode) * f.perNode));
  }
  return out;
}

export class FabricError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export function sizeFabric(f: FabricInput): FabricDesign {
  const maxBy = maxAcceleratorsByTiers(f, Math.max(3, f.maxTiers));
  const tiers = maxBy.findIndex((x) => x >= f.accelerators) + 1;
  if (tiers === 0 || tiers > f.maxTiers) {
    throw new FabricError(
      `${f.accelerators} accelerators need more than ${f.maxTiers} switch tiers with ${f.radix}-port switches at ${f.nicGbps / f.planes} Gb/s (at most ${maxBy[f.maxTiers - 1]!.toLocaleString('en-US')})`,
      'count',
    );
  }
  const k = f.radix;
  const kDown = downPorts(f);
  const kUp = k - kDown;
  const servers = Math.ceil(f.accelerators / f.perNode);
  const endpoints = servers * f.nicsPerNode; // per plane
  const perTier: number[] = [];
  const links: number[] = [endpoints * f.planes];
  if (tiers === 1) {
    perTier.push(f.nicsPerNode * f.planes);
  } else {
    const leavesPerRail = Math.ceil(servers / kDown);
    const leaves = leavesPerRail * f.nicsPerNode;
    perTier.push(leaves * f.planes);
    let below = leaves;
    let uplinks = leaves * kUp;
    for (let t = 2; t <= tiers; t++) {
      const top = t === tiers;
      const down = top ? k : k / 2;
      const n = Math.ceil(uplinks / down);
      perTier.push(n * f.planes);
      links.push(Math.min(uplinks, below * kUp) * f.planes);
      below = n;
      uplinks = top ? 0 : n * (k / 2);
    }
  }
  const linksTotal = links.reduce((s, x) => s + x, 0);
  const portGbps = f.nicGbps / f.planes;
  return {
    tiers,
    maxAcceleratorsByTiers: maxBy.slice(0, 3),
    servers,
    rails: f.nicsPerNode,
    planes: f.planes,
    portGbps,
    radix: k,
    switchesPerTier: perTier,
    switchesTotal: perTier.reduce((s, x) => s + x, 0),
    linksPerLevel: links,
    linksTotal,
    transceivers: 2 * linksTotal,
    bisectionGbps: (endpoints * f.planes * portGbps) / 2 / (tiers > 1 ? f.oversubscription : 1),
    oversubscription: f.oversubscription,
  };
}
