import { buildCpu, type CpuSocket } from './cpu.js';
import type { Accelerator, Precision } from './types.js';

/**
 * The hardware catalog, built (purely) from the parsed contents of data/hardware.json (a copy
 * of the shared catalog, ids and sources kept) and data/platforms.json (planner defaults the
 * catalog does not state as numbers). The shell reads the files; see context/load.ts.
 */

type Raw = Record<string, unknown>;

export interface RawCatalog {
  accelerators: Raw[];
  cpus: Raw[];
  links: Raw[];
  networks: Raw[];
  switches: Raw[];
  systems: Raw[];
  prices: Raw[];
  measured_efficiency: Raw[];
}

export interface Platform {
  perNode: number;
  nicGbps: number;
  nicSource: string;
  inNetworkReduction: boolean;
  pricePerHour: number;
  priceSource: string;
  /** Device memory a program sees, MiB (nvidia-smi memory.total), where sourced. */
  memoryMiB?: number;
  sms?: number;
  smSource?: string;
  memorySource?: string;
}

/** The catalog as the planners use it: typed accelerators and CPU sockets by id, and the raw entries. */
export interface HardwareCatalog {
  accelerators: ReadonlyMap<string, Accelerator>;
  cpus: ReadonlyMap<string, CpuSocket>;
  raw: RawCatalog;
}

export function buildCatalog(raw: RawCatalog, platforms: Record<string, Platform>): HardwareCatalog {
  const accelerators = new Map(raw.accelerators.map((a) => [a.id as string, normalize(a, platforms[a.id as string])]));
  const cpus = new Map(raw.cpus.map((c) => [c.id as string, buildCpu(c, raw.cpus)]));
  return { accelerators, cpus, raw };
}

const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const PCIE_GBPS_PER_DIRECTION: Record<number, number> = { 3: 16, 4: 32, 5: 64, 6: 128 };

function normalize(a: Raw, p: Platform | undefined): Accelerator {
  const id = a.id as string;
  const tf = (a.peak_dense_tflops ?? {}) as Raw;
  const t = (k: string): number | null => {
    const v = n(tf[k]);
    return v === null ? null : v * 1e12;
  };
  const bf16 = t('bf16') ?? t('fp16');
  const peakFlops: Record<Precision, number | null> = {
    fp32: t('fp32'),
    tf32: t('tf32'),
    bf16,
    fp16: t('fp16') ?? bf16,
    fp8: t('fp8'),
    fp4: t('fp4'),
    int8: t('int8_tops'),
  };
  const mem = (a.memory ?? {}) as Raw;
  const host = (a.host_interface ?? {}) as Raw;
  const gen = n(host.pcie_gen);
  let hostDir = n(host.bw_gbps_per_direction) ?? (n(host.bw_gbps_bidirectional) ?? 0) / 2;
  if (!hostDir && gen) hostDir = PCIE_GBPS_PER_DIRECTION[gen] ?? 32;
  if (typeof host.note === 'string' && /Gen5/.test(host.note)) hostDir = 64;
  if (!hostDir) hostDir = 32;

  const su = (a.scale_up ?? {}) as Raw;
  const perNode = p?.perNode ?? 8;
  let suDir =
    n(su.per_gpu_bw_gbps_per_direction) ??
    (n(su.per_gpu_bw_gbps_bidirectional) !== null ? n(su.per_gpu_bw_gbps_bidirectional)! / 2 : null) ??
    (n(su.per_chip_bw_gbps_bidirectional) !== null ? n(su.per_chip_bw_gbps_bidirectional)! / 2 : null) ??
    (n(su.nic_bw_gbps_bidirectional) !== null ? n(su.nic_bw_gbps_bidirectional)! / 2 : null) ??
    (n(su.nic_bw_tbps_bidirectional) !== null ? (n(su.nic_bw_tbps_bidirectional)! * 1000) / 2 : null) ??
    n(su.per_gpu_bw_gbps) ??
    (n(su.per_link_gbps_bidirectional) !== null ? (n(su.per_link_gbps_bidirectional)! * 4) / 2 : null);
  let domain = n(su.max_domain) ?? perNode;
  let tech = typeof su.tech === 'string' ? su.tech : 'unknown';
  const pcieOnly = domain <= 1 || /PCIe only|no NVLink/i.test(tech);
  if (pcieOnly) {
    // No scale-up fabric: devices in a server talk over PCIe (through the host or a PCIe switch).
    suDir = hostDir;
    domain = perNode;
    tech = `PCIe Gen${gen ?? 4} (no scale-up fabric)`;
  }
  return {
    id,
    name: (a.name as string) ?? id,
    vendor: (a.vendor as string) ?? '',
    architecture: (a.architecture as string) ?? '',
    peakFlops,
    memoryBytes: p?.memoryMiB ? p.memoryMiB * 1024 * 1024 : (n(mem.capacity_gb) ?? 0) * 1e9,
    memoryBandwidth: (n(mem.bandwidth_gbps) ?? 0) * 1e9,
    scaleUp: {
      tech,
      bandwidth: (suDir ?? hostDir) * 1e9,
      domain,
      inNetworkReduction: p?.inNetworkReduction ?? false,
    },
    scaleOut: { bandwidth: ((p?.nicGbps ?? 100) / 8) * 1e9, source: p?.nicSource ?? 'ESTIMATE: 100 Gb/s default' },
    hostLinkBandwidth: hostDir * 1e9,
    ...(p?.sms ? { sms: p.sms } : {}),
    perNode: Math.min(perNode, domain > perNode ? domain : perNode),
    tdpWatts: n(a.tdp_w),
    pricePerHour: p?.pricePerHour ?? 2,
    priceSource: p?.priceSource ?? 'ESTIMATE: no price in the catalog',
    sources: Array.isArray(a.sources) ? (a.sources as string[]) : [],
    unverified: Array.isArray(a.unverified_fields) ? (a.unverified_fields as string[]) : [],
  };
}

/** Whether the scale-up links of this part are plain PCIe. */
export function isPcieOnly(a: Accelerator): boolean {
  return a.scaleUp.tech.startsWith('PCIe');
}

export interface CatalogListing {
  kind: string;
  id: string;
  name: string;
  summary: string;
}

/** One line per catalog entry of every kind, for `sinan hardware`. */
export function catalogListing(cat: HardwareCatalog): CatalogListing[] {
  const c = cat.raw;
  const out: CatalogListing[] = [];
  for (const a of cat.accelerators.values()) {
    const bf = a.peakFlops.bf16 ? `${(a.peakFlops.bf16 / 1e12).toFixed(0)} TF bf16` : 'no bf16';
    const f8 = a.peakFlops.fp8 ? `, ${(a.peakFlops.fp8 / 1e12).toFixed(0)} TF fp8` : '';
    out.push({
      kind: 'accelerator',
      id: a.id,
      name: a.name,
      summary: `${bf}${f8}; ${(a.memoryBytes / 1e9).toFixed(0)} GB at ${(a.memoryBandwidth / 1e12).toFixed(2)} TB/s; scale-up ${(a.scaleUp.bandwidth / 1e9).toFixed(0)} GB/s/dir x${a.scaleUp.domain}`,
    });
  }
  for (const x of c.cpus) {
    const mem = (x.memory ?? {}) as Raw;
    const bw = n(mem.theoretical_bw_gbps_per_socket) ?? n(mem.theoretical_bw_gbps_total);
    out.push({
      kind: 'cpu',
      id: x.id as string,
      name: x.name as string,
      summary: `${x.cores ?? '?'} cores; ${bw ?? '?'} GB/s ${mem.theoretical_bw_gbps_per_socket ? 'per socket' : 'total'}`,
    });
  }
  for (const x of c.links)
    out.push({
      kind: 'link',
      id: x.id as string,
      name: x.name as string,
      summary: `${x.theoretical_gbps_per_direction ?? x.per_gpu_gbps_per_direction ?? '?'} GB/s per direction`,
    });
  for (const x of c.networks)
    out.push({
      kind: 'network',
      id: x.id as string,
      name: (x.name as string) ?? '',
      summary: x.line_rate_gbps ? `${x.line_rate_gbps} Gb/s` : String(x.type ?? ''),
    });
  for (const x of c.switches)
    out.push({
      kind: 'switch',
      id: x.id as string,
      name: x.name as string,
      summary: `${x.radix ?? '?'} ports x ${x.port_gbps ?? '?'} Gb/s; ${x.capacity_tbps ?? '?'} Tb/s`,
    });
  for (const x of c.systems) out.push({ kind: 'system', id: x.id as string, name: (x.name as string) ?? '', summary: String(x.gpus ?? x.layout ?? '') });
  return out;
}
