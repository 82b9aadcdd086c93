/** A CPU socket as the serving planner sees it (data/hardware.json `cpus`). */
export interface CpuSocket {
  id: string;
  name: string;
  cores: number;
  /** Theoretical DRAM bandwidth per socket, bytes/s. */
  memoryBandwidth: number;
  /** Measured-to-theoretical DRAM read fraction. */
  measuredFraction: number;
  measuredSource: string;
  /** Matrix-unit (AMX) bf16 peak per socket, FLOP/s (0 without AMX: AVX-512 estimate used). */
  bf16Flops: number;
  /** Per-direction bandwidth between two sockets over UPI/xGMI, bytes/s. */
  socketLinkBandwidth: number;
  tdpWatts: number | null;
}

type Raw = Record<string, unknown>;

/**
 * Bandwidth between two sockets as NCCL's topology model assigns it (NVIDIA/nccl src/graph/topo.h @
 * 73cf1122: Sapphire Rapids SRP_QPI_BW 22.0, Emerald Rapids 40.0, AMD 16.0 GB/s; Skylake 10.0). No
 * measured Sapphire Rapids cross-socket figure was found; NCCL's is the conservative usable one.
 */
function socketLink(id: string, vendor: string, name: string): number {
  if (/amd|epyc/i.test(vendor + name)) return 16e9;
  if (/emerald|5th gen|8592/i.test(name + id)) return 40e9;
  return 22e9; // Sapphire Rapids and later Xeons without a figure of their own
}
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A CPU socket from its catalog entry (`all` holds every CPU entry, for the measured planning case). */
export function buildCpu(c: Raw, all: Raw[]): CpuSocket {
  const id = c.id as string;
  const mem = (c.memory ?? {}) as Raw;
  const amx = (c.amx ?? {}) as Raw;
  const cores = num(c.cores) ?? 56;
  // the 4-socket SPR planning case is stored as a whole machine: split into sockets
  const perSocket = num(mem.theoretical_bw_gbps_per_socket) ?? (num(mem.theoretical_bw_gbps_total) ?? 0) / 4;
  const measuredCase = all.find((x) => x.id === 'case-4s-spr-ddr5-4800');
  const caseFrac = num(((measuredCase?.memory ?? {}) as Raw).measured_fraction) ?? 0.81;
  const amxPeak = num(amx.socket_peak_bf16_tflops_at_2ghz_derived);
  const perCore = num(amx.bf16_flop_per_cycle_per_core);
  // AMX: catalog peak or cores x FLOP/cycle x 2 GHz; without AMX, AVX-512 BF16: 64 FLOP/cycle/core (ESTIMATE)
  const bf16 = (amxPeak ?? (perCore ? (cores * perCore * 2.0e9) / 1e12 : (cores * 64 * 2.5e9) / 1e12)) * 1e12;
  return {
    id,
    name: String(c.name ?? id),
    cores: id === 'case-4s-spr-ddr5-4800' ? 56 : cores,
    memoryBandwidth: perSocket * 1e9,
    measuredFraction: num(mem.measured_fraction) ?? caseFrac,
    measuredSource:
      num(mem.measured_fraction) !== null
        ? 'catalog measured read fraction'
        : 'catalog cpus.case-4s-spr-ddr5-4800: 995 of 1228.8 GB/s measured read (seed 004; UNVERIFIED), applied to every socket',
    bf16Flops: bf16,
    socketLinkBandwidth: socketLink(id, String(c.vendor ?? ''), String(c.name ?? '')),
    tdpWatts: num(c.tdp_w),
  };
}
