import type { Warning } from '../core/warnings.js';
import type { KvFormatId } from '../formats/kv.js';
import type { MatrixRole } from '../model/weights.js';
import type { ServeReport } from '../serve/report.js';
import type { OutputFormat } from './targets.js';

/** The measured (or format-typical) error of one weight tensor in each candidate format. */
export interface TensorErrors {
  name: string;
  layer: number;
  role: MatrixRole;
  shape: [number, number];
  dtype: 'BF16' | 'F16' | 'F32';
  /** sum W^2 (with activation statistics: sum W_ij^2 E[x_j^2]) over the whole tensor. */
  reference: number;
  /** Per candidate format: relative squared error (sum dW^2 / sum W^2, same weighting) and the 95% half-width relative to it (0: exact). */
  errors: Record<string, { rel2: number; ci95: number }>;
  /** Share of the tensor's rows measured. */
  sampled: number;
  /** A 16-bit tensor losslessly compressed (Huffman-coded exponents): compressed / raw bytes; null otherwise. */
  lossless: number | null;
  /** The tensor holds a NaN or infinity: it stays as stored. */
  nonFinite: boolean;
  /** Activation statistics weighted this tensor's error. */
  activations: boolean;
}

export interface Sensitivity {
  /** 'measured' on the checkpoint's values, or 'typical' (no checkpoint: Sinan's codecs on Gaussian values). */
  source: 'measured' | 'typical';
  tensors: TensorErrors[];
  /** How the numbers were obtained, for the report. */
  notes: string[];
  /** What the measurement pass read and how long it took (measured only). */
  pass?: { bytesRead: number; seconds: number; workers: number; peakRssBytes: number; sampledShare: number };
}

export type Objective = 'throughput' | 'cost' | 'devices' | 'cheaper-hardware';

export interface Goal {
  objective: Objective;
  /** The most accuracy loss allowed, in the measure of accuracy.ts. */
  accuracy: number;
}

/** What one plan decided, per tensor and for the cache and placement. */
export interface Decisions {
  weights: { tensor: string; layer: number; role: string; format: string }[];
  kvCache: { keys: KvFormatId; values: KvFormatId };
  /** Each layer's placement, and whether its 16-bit matrices are stored losslessly compressed. */
  offload: { layer: number; where: 'device' | 'host' | 'disk'; lossless: boolean }[];
  parallelism: { tensor: number; pipeline: number; expert: number };
  accelerator: string;
  devices: number;
}

export interface AccuracyReport {
  measure: string;
  budget: number;
  total: number;
  weights: number;
  kvCache: { keys: { format: string; error: number }; values: { format: string; error: number }; contribution: number };
  /** 95% interval of the total (from the sampled tensors), relative. */
  ci95: number;
  importance: string;
  source: 'measured' | 'typical';
  perTensor: { tensor: string; format: string; relativeError: number; importance: number; contribution: number; ci95: number }[];
}

export interface Row {
  label: string;
  /** Why this row's plan is what it is (the target it meets, or what it misses). */
  note: string;
  plan: ServeReport;
  decisions: Decisions;
  accuracy: number;
}

export interface AttributionEntry {
  optimization: 'offload' | 'lossless' | 'mixed-precision' | 'kv-cache' | 'combined';
  outputTokensPerSecond: number | null;
  usdPerMillionOutputTokens: number | null;
  /** Throughput over the reference plan's, minus 1 (null where the reference does not fit). */
  gain: number | null;
  fits: boolean;
}

export interface Attribution {
  row: string;
  reference: { outputTokensPerSecond: number | null; fits: boolean };
  entries: AttributionEntry[];
  /** Sum of the single gains, the combined gain, and whether combining beats the best single optimization. */
  sumOfSingleGains: number | null;
  combinedGain: number | null;
  combinedBeatsBestSingle: boolean;
}

export interface OptimizationReport {
  kind: 'optimization';
  goal: Goal;
  format: OutputFormat;
  engine: string;
  baseline: ServeReport;
  best: ServeReport;
  bestRow: string;
  rows: Row[];
  decisions: Decisions;
  accuracy: AccuracyReport;
  attribution: Attribution[];
  sensitivity: { source: 'measured' | 'typical'; tensors: number; notes: string[]; pass?: Sensitivity['pass'] };
  search: { evaluated: number; seconds?: number };
  files: string[];
  serveCommand: string;
  warnings: Warning[];
}
