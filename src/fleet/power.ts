import type { Accelerator } from '../hardware/types.js';
import type { FabricDesign } from './fabric.js';

/** data/fleet.json: node power of catalog systems, switch and optics power, rack size, PUE, switch hop latency. */
export interface FleetData {
  nodePower: { value: Record<string, { kw: number; gpus: number; system: string }>; source: string };
  hostOverheadFraction: { value: number };
  switchWatts: { value: number };
  transceiverWatts: { value: Record<string, number> };
  rackKw: { value: number };
  pue: { value: number };
  switchHopSeconds: { value: number };
}

export interface PowerEstimate {
  acceleratorWatts: number;
  hostWatts: number;
  networkWatts: number;
  itWatts: number;
  facilityWatts: number;
  pue: number;
  racks: number;
  basis: string;
}

function transceiverWatts(portGbps: number, table: Record<string, number>): number {
  const speeds = Object.keys(table)
    .map(Number)
    .sort((a, b) => a - b);
  const s = speeds.find((x) => x >= portGbps) ?? speeds[speeds.length - 1]!;
  return table[String(s)]!;
}

/** IT and facility power of a cluster: nodes (catalog system power where known), network, PUE. */
export function clusterPower(d: FleetData, a: Accelerator, count: number, fabric: FabricDesign | null, pue?: number): PowerEstimate {
  const tdp = a.tdpWatts ?? 700;
  const acceleratorWatts = count * tdp;
  const node = d.nodePower.value[a.id];
  let nodeWatts: number;
  let basis: string;
  if (node) {
    nodeWatts = (count / node.gpus) * node.kw * 1000;
    basis = `${node.system}: ${node.kw} kW per ${node.gpus} accelerators (maximum input power)`;
  } else {
    nodeWatts = acceleratorWatts * (1 + d.hostOverheadFraction.value);
    basis = `accelerator TDP ${tdp} W plus ${Math.round(d.hostOverheadFraction.value * 100)}% host overhead (estimate)`;
  }
  const networkWatts = fabric
    ? fabric.switchesTotal * d.switchWatts.value + fabric.transceivers * transceiverWatts(fabric.portGbps, d.transceiverWatts.value)
    : 0;
  const itWatts = nodeWatts + networkWatts;
  const p = pue ?? d.pue.value;
  const racks = node && node.gpus >= 32 ? Math.ceil(count / node.gpus) : Math.ceil(nodeWatts / (d.rackKw.value * 1000));
  return { acceleratorWatts, hostWatts: nodeWatts - acceleratorWatts, networkWatts, itWatts, facilityWatts: itWatts * p, pue: p, racks, basis };
}
