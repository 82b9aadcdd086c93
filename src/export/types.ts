import type { Warning } from '../core/warnings.js';
import type { ServePlanResult } from '../serve/plan.js';
import type { TrainingResult } from '../train/plan.js';

/**
 * `sinan export`: a plan in, the command line or config file a framework runs out. Everything
 * here is pure: the argument lists per framework version arrive as data (data/export/*.json,
 * each entry with the source it was read from).
 */
export const EXPORT_TARGETS = ['megatron', 'megatron-bridge', 'torchtitan', 'vllm', 'sglang', 'trtllm', 'llama.cpp'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** The architecture facts a command needs (a narrow view of the model spec). */
export interface ExportModel {
  id: string;
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  vocab: number;
  tiedEmbeddings: boolean;
  maxPositions: number;
  norm: 'rms' | 'layer';
  gated: boolean;
  learnedPositions: boolean;
  moe: { experts: number; topK: number; expertFfn: number; sharedFfn: number } | null;
  mla: boolean;
}

/** Scenario settings a command carries that the report does not repeat. */
export interface ServeExtras {
  chunkedPrefill?: boolean;
  maxBatchTokens?: number;
  offloadTo?: 'host' | 'disk';
  speculative?: { tokens: number; draft: string };
}

export type ExportInput =
  { kind: 'training'; plan: TrainingResult; model: ExportModel } | { kind: 'inference'; plan: ServePlanResult; model: ExportModel; extras: ServeExtras };

/** One version's accepted arguments as collected (data/export/<target>.json). */
export interface ArgInfo {
  type?: string;
  default?: unknown;
  choices?: unknown[];
  aliases?: string[];
  note?: string;
  string_recipes?: string[];
  allowed_values?: unknown[];
}

export interface VersionData {
  source: string;
  /** What a list marked complete covers, where that is less than the whole command (vLLM: the engine flags). */
  complete_for?: string;
  tag?: string;
  ref?: string;
  commit?: string;
  format?: string;
  seen_partial?: boolean;
  args?: Record<string, ArgInfo>;
  yaml_keys?: Record<string, ArgInfo>;
  config_fields?: Record<string, ArgInfo>;
  not_present?: string[];
  all_flags?: string[];
  all_keys?: string[];
  all_flags_for_llama_server?: string[];
  entrypoint?: { script: string; command: string; convenience_flags?: Record<string, string> };
  untagged?: boolean;
}

export interface TargetData {
  target: string;
  status?: string;
  entrypoint?: string;
  versions: Record<string, VersionData>;
  leads_not_validated?: { source?: string; flags_named_there?: string[]; flags?: string[] };
}

/** How the emitted names were checked. */
export interface ExportCheck {
  /** complete: the version's whole parser was read, so unknown names are rejected; known-good: a partial list of names seen in pinned sources; none: nothing version-pinned exists. */
  list: 'complete' | 'known-good' | 'none';
  version: string | null;
  source: string;
  /** Every flag or key the output sets. */
  names: string[];
  /** Why this version: asked for with --version, the plan's profile line, or the newest listed. */
  versionChoice: string;
  /** What a complete list covers where that is less than the whole command (the version's complete_for). */
  completeFor?: string;
}

/** A plan setting the output could not carry with a checked name. */
export interface NotEmitted {
  setting: string;
  suggestion: string;
  reason: string;
}

export interface ExportFile {
  name: string;
  content: string;
}

/** The `--json` object of `sinan export` (contract v2). */
export interface ExportResult {
  kind: 'export';
  target: ExportTarget;
  version: string | null;
  command?: string;
  files?: ExportFile[];
  check: ExportCheck;
  notEmitted: NotEmitted[];
  plan: TrainingResult | ServePlanResult;
  warnings: Warning[];
}

/** What a target builder returns before the header and the check are attached. */
export interface Built {
  /** Command lines (joined with ' \\\n  '), or null when the output is files only. */
  argv: string[] | null;
  /** Text before the command (e.g. an export of MODEL), after the header. */
  preamble?: string[];
  files?: { name: string; lines: string[]; comment: '#' }[];
  names: string[];
  notEmitted: NotEmitted[];
}
