import type { Accelerator } from '../hardware/types.js';
import type { Calibration } from './calibration.js';

/**
 * The fabric a job runs on: a scale-up domain (NVLink/NVSwitch, or PCIe inside a server)
 * of `domain` devices, and a scale-out network with one NIC per device (rail-optimised).
 */
export interface Fabric {
  /** Devices per scale-up domain. */
  domain: number;
  /** Effective bytes/s per device per direction inside the domain (peak x efficiency). */
  scaleUpBw: number;
  /** Effective algorithm bandwidth of an in-switch all-reduce (0 when unsupported). */
  inNetworkAlgBw: number;
  /** Effective bytes/s per device per direction across the scale-out network. */
  scaleOutBw: number;
  scaleUpHop: number;
  scaleOutHop: number;
  launch: number;
}

export interface FabricOverrides {
  domain?: number | undefined;
  scaleUpGBps?: number | undefined;
  scaleOutGBps?: number | undefined;
  scaleOutLatencyUs?: number | undefined;
}

export function fabricFor(a: Accelerator, perNode: number, cal: Calibration, o: FabricOverrides = {}): Fabric {
  const pcie = a.scaleUp.tech.startsWith('PCIe');
  const domain = o.domain ?? (a.scaleUp.domain > perNode ? a.scaleUp.domain : perNode);
  const upPeak = o.scaleUpGBps !== undefined ? o.scaleUpGBps * 1e9 : a.scaleUp.bandwidth;
  const upFrac = pcie ? cal.pcieFraction : cal.scaleUpFraction;
  return {
    domain,
    scaleUpBw: upPeak * upFrac,
    inNetworkAlgBw: a.scaleUp.inNetworkReduction && !pcie ? upPeak * cal.inNetworkAlgBwFraction : 0,
    scaleOutBw: (o.scaleOutGBps !== undefined ? o.scaleOutGBps * 1e9 : a.scaleOut.bandwidth) * cal.scaleOutFraction,
    scaleUpHop: pcie ? cal.pcieHop : cal.scaleUpHop,
    scaleOutHop: o.scaleOutLatencyUs !== undefined ? o.scaleOutLatencyUs * 1e-6 : cal.scaleOutHop,
    launch: cal.collectiveLaunch,
  };
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
