import type { CpuSocket } from '../hardware/cpu.js';
import type { Accelerator } from '../hardware/types.js';
import type { Calibration } from './calibration.js';

/**
 * The tiers a job's bytes cross: a scale-up domain (NVLink/NVSwitch, PCIe inside a server, or
 * UPI between CPU sockets) of `domain` devices, a scale-out network with one NIC per device
 * (rail-optimised), and each device's host link (PCIe) to host memory and disk.
 */
export interface Fabric {
  /** Devices per scale-up domain. */
  domain: number;
  /** What the scale-up tier is (NVLink, PCIe, UPI). */
  scaleUpTech: string;
  /** Effective bytes/s per device per direction inside the domain (peak x efficiency). */
  scaleUpBw: number;
  /** Effective algorithm bandwidth of an in-switch all-reduce inside the domain (NVLS; 0 when unsupported or off). */
  inNetworkAlgBw: number;
  /** The scale-out switches reduce in the network (InfiniBand SHARP): each rank sends and receives its data once. */
  scaleOutInNetwork: boolean;
  /** Effective bytes/s per device per direction across the scale-out network. */
  scaleOutBw: number;
  /** Share of those bandwidths an all-to-all reaches (NCCL's all-to-all, as the alltoall MoE dispatcher uses). */
  allToAllFraction: number;
  /** Raw link bandwidths (per device per direction), for kernels whose own efficiency is measured (DeepEP). */
  scaleUpPeak: number;
  scaleOutPeak: number;
  /** Effective bytes/s per device per direction over its host link (PCIe). */
  hostLinkBw: number;
  scaleUpHop: number;
  scaleOutHop: number;
  /** Fixed start-up of one collective call. */
  launch: number;
  /** NCCL's latency model for all-reduces across the scale-out network (calibration nccl). */
  nccl: { ringNetHop: number[]; treeNetHop: number[]; protocolBandwidth: number[]; treeBandwidth: number[]; ringSimplePlateau: number };
}

export interface FabricOverrides {
  domain?: number | undefined;
  scaleUpGBps?: number | undefined;
  scaleOutGBps?: number | undefined;
  scaleOutLatencyUs?: number | undefined;
  /** Turn in-switch reduction inside the scale-up domain (NVLS) on or off; default: what the platform has. */
  scaleUpInNetwork?: boolean | undefined;
  /** Reduce in the scale-out switches (SHARP); default off (it needs SHARP-capable switches and NCCL's CollNet plugin). */
  scaleOutInNetwork?: boolean | undefined;
}

export function fabricFor(a: Accelerator, perNode: number, cal: Calibration, o: FabricOverrides = {}): Fabric {
  const pcie = a.scaleUp.tech.startsWith('PCIe');
  const domain = o.domain ?? (a.scaleUp.domain > perNode ? a.scaleUp.domain : perNode);
  const upPeak = o.scaleUpGBps !== undefined ? o.scaleUpGBps * 1e9 : a.scaleUp.bandwidth;
  const upFrac = pcie ? cal.pcieFraction : cal.scaleUpFraction;
  return {
    domain,
    scaleUpTech: a.scaleUp.tech,
    scaleUpBw: upPeak * upFrac,
    inNetworkAlgBw: (o.scaleUpInNetwork ?? a.scaleUp.inNetworkReduction) && !pcie ? upPeak * cal.inNetworkAlgBwFraction : 0,
    scaleOutInNetwork: o.scaleOutInNetwork ?? false,
    scaleOutBw: (o.scaleOutGBps !== undefined ? o.scaleOutGBps * 1e9 : a.scaleOut.bandwidth) * cal.scaleOutFraction,
    allToAllFraction: cal.allToAllFraction,
    scaleUpPeak: upPeak,
    scaleOutPeak: o.scaleOutGBps !== undefined ? o.scaleOutGBps * 1e9 : a.scaleOut.bandwidth,
    hostLinkBw: a.hostLinkBandwidth * cal.pcieFraction,
    scaleUpHop: pcie ? cal.pcieHop : cal.scaleUpHop,
    scaleOutHop: o.scaleOutLatencyUs !== undefined ? o.scaleOutLatencyUs * 1e-6 : cal.scaleOutHop,
    launch: cal.collectiveLaunch,
    nccl: scaledNccl(cal, o.scaleOutLatencyUs),
  };
}

/** NCCL's network latencies, scaled when a scenario states its own per-step scale-out latency (relative to Simple's ring step). */
function scaledNccl(cal: Calibration, latencyUs: number | undefined): Fabric['nccl'] {
  if (latencyUs === undefined) return cal.nccl;
  const k = (latencyUs * 1e-6) / cal.nccl.ringNetHop[2]!;
  return { ...cal.nccl, ringNetHop: cal.nccl.ringNetHop.map((x) => x * k), treeNetHop: cal.nccl.treeNetHop.map((x) => x * k) };
}

/**
 * CPU sockets as devices: UPI is their scale-up tier. A collective between sockets is a
 * shared-memory all-reduce whose fixed synchronisation cost (calibration
 * serving.cpuCollectiveSeconds) stands for the per-step latency; the data crosses UPI.
 */
export function cpuFabric(c: CpuSocket, sockets: number, cal: Calibration): Fabric {
  return {
    domain: sockets,
    scaleUpTech: 'UPI',
    scaleUpBw: c.socketLinkBandwidth,
    inNetworkAlgBw: 0,
    scaleOutInNetwork: false,
    scaleOutBw: 12.5e9 * cal.scaleOutFraction,
    allToAllFraction: cal.allToAllFraction,
    scaleUpPeak: c.socketLinkBandwidth,
    scaleOutPeak: 12.5e9,
    hostLinkBw: Infinity,
    scaleUpHop: 0,
    scaleOutHop: cal.scaleOutHop,
    launch: cal.cpuCollective,
    nccl: cal.nccl,
  };
}

/** Seconds to move `bytes` over one device's link of the given tier. */
export function transferSeconds(bytes: number, f: Fabric, tier: 'host' | 'scaleUp' | 'scaleOut'): number {
  if (bytes <= 0) return 0;
  const bw = tier === 'host' ? f.hostLinkBw : tier === 'scaleUp' ? f.scaleUpBw : f.scaleOutBw;
  return bytes / bw;
}

/**
 * Where a communication group of `size` ranks whose members are `stride` ranks apart
 * lands: `local` members share a scale-up domain, spread over `nodes` domains.
 */
export interface Placement {
  size: number;
  local: number;
  nodes: number;
}

export function place(size: number, stride: number, f: Fabric): Placement {
  if (size <= 1) return { size: 1, local: 1, nodes: 1 };
  const perDomain = stride >= f.domain ? 1 : Math.max(1, Math.floor(f.domain / stride));
  const local = Math.min(size, perDomain);
  return { size, local, nodes: Math.ceil(size / local) };
}
