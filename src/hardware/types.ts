export type Precision = 'fp32' | 'tf32' | 'bf16' | 'fp16' | 'fp8' | 'fp4' | 'int8';

export interface Accelerator {
  id: string;
  name: string;
  vendor: string;
  /** Architecture as the catalog names it (selects the calibrated efficiencies). */
  architecture: string;
  /** Dense peak in FLOP/s by precision (null where the part has no such unit). */
  peakFlops: Record<Precision, number | null>;
  memoryBytes: number;
  /** Peak memory bandwidth, bytes/s. */
  memoryBandwidth: number;
  scaleUp: {
    tech: string;
    /** Per device, per direction, bytes/s (0 when the part has none). */
    bandwidth: number;
    /** Devices reachable in one scale-up domain. */
    domain: number;
    inNetworkReduction: boolean;
  };
  scaleOut: {
    /** Per device, per direction, bytes/s. */
    bandwidth: number;
    source: string;
  };
  /** Host link (PCIe) per direction, bytes/s. */
  hostLinkBandwidth: number;
  /** Streaming multiprocessors (GEMM tiles run in waves of this many); absent where unknown. */
  sms?: number;
  perNode: number;
  tdpWatts: number | null;
  pricePerHour: number;
  priceSource: string;
  sources: string[];
  unverified: string[];
}
