import type { Fabric, Placement } from './topology.js';

/**
 * Alpha-beta prices of NCCL-style collectives on a two-tier fabric. `bytes` is always the
 * full logical tensor (the all-reduced buffer, the gathered result, the scattered input).
 * Multi-domain groups use the hierarchical algorithm: reduce-scatter inside the domain,
 * the inter-domain collective on 1/local of the data over each member's own NIC
 * (rail-optimised), then all-gather inside the domain.
 */

function ceilLog2(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/**
 * Seconds for a reduce-scatter or all-gather: across domains first on 1/local of the data
 * (each member over its own NIC), then inside the domain on the whole tensor.
 */
export function allGatherSeconds(bytes: number, p: Placement, f: Fabric): number {
  if (p.size <= 1 || bytes <= 0) return 0;
  const { local, nodes } = p;
  let t = f.launch;
  if (local > 1) t += ((local - 1) / local) * (bytes / f.scaleUpBw) + (local - 1) * f.scaleUpHop;
  if (nodes > 1) t += ((nodes - 1) / nodes) * (bytes / local / f.scaleOutBw) + ceilLog2(nodes) * 2 * f.scaleOutHop;
  return t;
}

export const reduceScatterSeconds = allGatherSeconds;

export interface AllReduceOptions {
  /** Use in-network reduction (NVLS) inside the scale-up domain when the fabric has it. */
  inNetwork?: boolean;
  /** Reduce in the scale-out switches (InfiniBand SHARP): each rank sends and receives its data once. */
  scaleOutInNetwork?: boolean;
}

/**
 * Bytes each rank sends for an all-reduce of `bytes` over `n` ranks: 2(n-1)/n x bytes for a
 * ring; (n+1)/n x bytes with in-network reduction (send once, the switch reduces, plus the
 * final broadcast share), i.e. the 2N -> N+1 drop of seed 003.
 */
export function allReduceBytesPerRank(bytes: number, n: number, inNetwork: boolean): number {
  if (n <= 1) return 0;
  return inNetwork ? ((n + 1) / n) * bytes : ((2 * (n - 1)) / n) * bytes;
}

/** Seconds for an all-reduce. */
export function allReduceSeconds(bytes: number, p: Placement, f: Fabric, o: AllReduceOptions = {}): number {
  if (p.size <= 1 || bytes <= 0) return 0;
  const { local, nodes } = p;
  const useNvls = (o.inNetwork ?? true) && f.inNetworkAlgBw > 0 && local > 1;
  if (nodes === 1) {
    if (useNvls) return f.launch + bytes / f.inNetworkAlgBw + 2 * f.scaleUpHop;
    return f.launch + ((2 * (local - 1)) / local) * (bytes / f.scaleUpBw) + 2 * (local - 1) * f.scaleUpHop;
  }
  // hierarchical: RS in domain, AR across domains on bytes/local, AG in domain
  let t = f.launch;
  if (local > 1) {
    t += useNvls ? bytes / f.inNetworkAlgBw + 2 * f.scaleUpHop : ((2 * (local - 1)) / local) * (bytes / f.scaleUpBw) + 2 * (local - 1) * f.scaleUpHop;
  }
  const sharp = o.scaleOutInNetwork ?? f.scaleOutInNetwork;
  t += sharp ? bytes / local / f.scaleOutBw + 2 * ceilLog2(nodes) * f.scaleOutHop : interNodeAllReduce(bytes / local, nodes, f);
  return t;
}

/**
 * The scale-out part of an all-reduce over `nodes` ranks of `bytes` each, as NCCL's tuner predicts
 * it: for ring and tree and each protocol (LL, LL128, Simple), latency plus bytes over that
 * protocol's share of the bandwidth; the fastest wins. Ring latency grows with the node count, tree
 * latency with its logarithm, so at scale small buckets pay tree latency and large ones ring bandwidth.
 */
export function interNodeAllReduce(bytes: number, nodes: number, f: Fabric): number {
  if (nodes <= 1 || bytes <= 0) return 0;
  const n = f.nccl;
  const levels = Math.floor(Math.log2(nodes));
  let best = Infinity;
  for (let p = 0; p < 3; p++) {
    const ringLat = 2 * (nodes - 1) * n.ringNetHop[p]! * (p === 2 ? n.ringSimplePlateau : 1);
    const ring = ringLat + ((2 * (nodes - 1)) / nodes) * (bytes / (f.scaleOutBw * n.protocolBandwidth[p]!));
    const tree = 2 * levels * n.treeNetHop[p]! + (2 * bytes) / (f.scaleOutBw * n.treeBandwidth[p]!);
    best = Math.min(best, ring, tree);
  }
  return best;
}

/**
 * Seconds for an all-to-all in which every rank sends `bytesPerRank` spread evenly over
 * the group: the share to peers in the domain crosses NVLink, the rest each rank's NIC.
 */
/**
 * DeepEP's normal (training and prefill) kernels reach most of the raw links: 153-158 GB/s of the
 * H800's ~160 GB/s NVLink inside a node, and 43-58 GB/s per GPU across nodes on 400 Gb/s InfiniBand,
 * whose ~50 GB/s they fill (logical bandwidth, NVLink forwarding included): DeepEP README
 * (docs/legacy.md at dd758ca). HybridEP, NVIDIA's TMA/IBGDA variant, is taken to be as efficient.
 */
export const DEEPEP_LINK_FRACTION = { scaleUp: 0.96, scaleOut: 1.0 };

export function allToAllSeconds(bytesPerRank: number, p: Placement, f: Fabric, dispatcher: 'alltoall' | 'deepep' | 'hybridep' = 'alltoall'): number {
  if (p.size <= 1 || bytesPerRank <= 0) return 0;
  const intraShare = (p.local - 1) / p.size;
  const interShare = (p.size - p.local) / p.size;
  const flex = dispatcher !== 'alltoall';
  const upBw = flex ? f.scaleUpPeak * DEEPEP_LINK_FRACTION.scaleUp : f.scaleUpBw * f.allToAllFraction;
  const outBw = flex ? f.scaleOutPeak * DEEPEP_LINK_FRACTION.scaleOut : f.scaleOutBw * f.allToAllFraction;
  const intra = (bytesPerRank * intraShare) / upBw;
  const inter = (bytesPerRank * interShare) / outBw;
  return f.launch + Math.max(intra, inter) + (p.nodes > 1 ? f.scaleOutHop * 2 : f.scaleUpHop * 2);
}

/** Seconds for one point-to-point send of `bytes` between neighbouring pipeline stages. */
export function sendRecvSeconds(bytes: number, crossesDomain: boolean, f: Fabric): number {
  if (bytes <= 0) return 0;
  return f.launch + (crossesDomain ? bytes / f.scaleOutBw + f.scaleOutHop : bytes / f.scaleUpBw + f.scaleUpHop);
}
