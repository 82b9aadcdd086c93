import { isAbsolute, resolve } from 'node:path';
import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue } from '../core/issues.js';
import { warning, type Warning } from '../core/warnings.js';
import { loadExportData } from '../export/data.js';
import type { ExportTarget, TargetData } from '../export/types.js';
import { normalizeInference } from '../scenario/inference.js';
import { parseWith, type RawScenario } from '../scenario/load.js';
import { inferenceScenarioSchema } from '../scenario/schema.js';
import { serveCommand } from './command.js';
import { measureCheckpoint } from './measure.js';
import { candidateFormats, planOptimization } from './plan.js';
import { modelTensors } from './tensors.js';
import { defaultFormat, OUTPUT_FORMATS, TARGETS, type OutputFormat, type Target } from './targets.js';
import { typicalSensitivity } from './typical.js';
import type { Goal, OptimizationReport, Sensitivity } from './types.js';
import { writePlan } from './write.js';
import { withFileIssues } from './issues.js';

/**
 * `sinan optimize`: the shell around the pure plan (plan.ts). Reads the scenario's goal, picks
 * the output format and the engine that serves it, measures the checkpoint when there is one
 * (measure.ts) or takes format-typical errors, plans, and writes the chosen checkpoint
 * (write.ts) with the command that serves it.
 */

export interface OptimizeOptions {
  context: PlanContext;
  files: FileAccess | null;
  baseDir: string;
  /** Output format (default: GGUF for a llama.cpp scenario, compressed-tensors otherwise). */
  format?: string;
  exportData?: Record<ExportTarget, TargetData>;
}

export interface RunOptions extends OptimizeOptions {
  /** New folder to write the checkpoint into (needs `checkpoint` in the scenario). */
  out?: string;
  force?: boolean;
  workers?: number;
  /** Measure every row instead of a sample. */
  exact?: boolean;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_ACCURACY = 0.01;

interface Prepared {
  raw: RawScenario;
  target: Target;
  goal: Goal;
  checkpoint: string | null;
  activations: string | null;
  warnings: Warning[];
}

function prepare(raw: RawScenario, o: OptimizeOptions): Prepared {
  const data = structuredClone(raw.data);
  if (data.kind !== 'inference')
    throw new IssueError([
      mkIssue({
        code: 'invalid_value',
        path: ['kind'],
        value: data.kind,
        allowed: ['inference'],
        reason: 'sinan optimize takes an inference scenario (with a goal)',
      }),
    ]);
  // the whole scenario (goal and checkpoint too) is checked first, so a bad field is named before anything is planned
  parseWith(inferenceScenarioSchema, data);
  const warnings: Warning[] = [];
  let format: OutputFormat;
  if (o.format !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(o.format))
      throw new IssueError([mkIssue({ code: 'invalid_value', path: ['--format'], value: o.format, allowed: OUTPUT_FORMATS, reason: 'unknown output format' })]);
    format = o.format as OutputFormat;
  } else {
    const e = typeof data.engine === 'string' ? data.engine : ((data.engine as { profile?: string } | undefined)?.profile ?? undefined);
    format = defaultFormat(e);
  }
  const target = TARGETS[format];
  const engineIn = typeof data.engine === 'string' ? data.engine : (data.engine as { profile?: string } | undefined)?.profile;
  if (!engineIn || !target.engines.includes(engineIn)) {
    if (engineIn)
      warnings.push(
        warning(
          'engine_changed',
          `${format} checkpoints are served by ${target.engines.join(' or ')}, not ${engineIn}: every row (the baseline too) is priced with ${target.engine}`,
          ['engine'],
        ),
      );
    data.engine = typeof data.engine === 'object' && data.engine ? { ...(data.engine as object), profile: target.engine } : target.engine;
  }
  const g = (data.goal ?? {}) as { objective?: Goal['objective']; accuracy?: number; activations?: string };
  const goal: Goal = { objective: g.objective ?? 'throughput', accuracy: g.accuracy ?? DEFAULT_ACCURACY };
  if (g.accuracy === undefined)
    warnings.push(
      warning('estimate', `no goal.accuracy: the plans stay within ${DEFAULT_ACCURACY} (the measure is in accuracy.measure)`, ['goal', 'accuracy']),
    );
  const at = (p: string) => (isAbsolute(p) ? p : resolve(raw.baseDir, p));
  const checkpoint = typeof data.checkpoint === 'string' ? at(data.checkpoint) : null;
  const activations = g.activations ? at(g.activations) : null;
  delete data.goal;
  delete data.checkpoint;
  return { raw: { ...raw, data }, target, goal, checkpoint, activations, warnings };
}

function assemble(p: Prepared, o: OptimizeOptions, sens: Sensitivity, extraWarnings: Warning[] = []): OptimizationReport & { bestCandidate: unknown } {
  const n = normalizeInference(p.raw, o.context, o.files);
  const r = planOptimization({
    req: { ...n, warnings: [...p.warnings, ...extraWarnings, ...n.warnings] },
    goal: p.goal,
    target: p.target,
    sensitivity: sens,
    catalog: [...o.context.catalog.accelerators.values()],
  });
  if (p.target.server === 'llama-server' && r.best.offload?.layers && r.best.offload.layers.host + r.best.offload.layers.disk > 0)
    r.warnings.push(
      warning(
        'estimate',
        'the plan streams layers to the GPU each step; llama.cpp runs the layers it leaves off the GPU on the CPU instead (--n-gpu-layers), so its speed differs from this prediction',
        ['offload'],
      ),
    );
  if (p.target.server === 'vllm' && r.best.offload?.layers && r.best.offload.layers.host + r.best.offload.layers.disk > 0)
    r.warnings.push(
      warning(
        'estimate',
        "the plan streams chosen layers with a prefetch schedule; vLLM's --cpu-offload-gb offloads whole parameters and reads them over PCIe on use, without this schedule",
        ['offload'],
      ),
    );
  if (r.best.offload?.layers?.lossless)
    r.warnings.push(
      warning(
        'estimate',
        'the plan stores 16-bit layers losslessly compressed and decodes them on the device (DFloat11-style, priced as a memory-bound pass); the engines above load the uncompressed tensors, so the written checkpoint keeps them plain',
        ['offload'],
      ),
    );
  return { ...r, files: [], serveCommand: serveCommand(r.best, n.job.model, p.target, null, o.exportData ?? loadExportData()) };
}

function typical(p: Prepared, o: OptimizeOptions): Sensitivity {
  const n = normalizeInference(p.raw, o.context, o.files);
  return typicalSensitivity(n.job.model, p.target.format, candidateFormats(p.target));
}

/** Plans from the config alone (no file is read or written): format-typical errors. */
export function optimizePlan(raw: RawScenario, o: OptimizeOptions): OptimizationReport {
  const p = prepare(raw, o);
  const w: Warning[] = [];
  if (p.checkpoint)
    w.push(
      warning(
        'typical_errors',
        'the checkpoint is not read here: planned from the config with format-typical errors (sinan optimize on the command line measures it)',
        ['checkpoint'],
      ),
    );
  else w.push(warning('typical_errors', 'no checkpoint: planned from the config with format-typical errors, not measured ones', ['checkpoint']));
  const { bestCandidate: _, ...r } = assemble(p, o, typical(p, o), w);
  return r;
}

/** Measures the scenario's checkpoint (if any), plans, and writes the chosen checkpoint into `out`; file problems are issues. */
export async function optimizeScenario(raw: RawScenario, o: RunOptions): Promise<OptimizationReport> {
  return withFileIssues(o.out ?? raw.source, () => run(raw, o));
}

async function run(raw: RawScenario, o: RunOptions): Promise<OptimizationReport> {
  const p = prepare(raw, o);
  if (o.out && !p.checkpoint)
    throw new IssueError([
      mkIssue({
        code: 'missing_key',
        path: ['checkpoint'],
        key: 'checkpoint',
        hint: '--out writes the optimized checkpoint: name the safetensors folder as checkpoint: in the scenario',
      }),
    ]);
  if (!p.checkpoint) return optimizePlan(raw, o);
  if (o.files === null)
    throw new IssueError([mkIssue({ code: 'unsupported', path: ['checkpoint'], feature: 'a checkpoint folder', reason: 'this interface reads no files' })]);
  const n = normalizeInference(p.raw, o.context, o.files);
  const formats = candidateFormats(p.target);
  const sens = await measureCheckpoint(p.checkpoint, n.job.model, p.target.format, formats, {
    ...(o.workers ? { workers: o.workers } : {}),
    ...(o.exact ? { exact: true } : {}),
    ...(p.activations ? { activations: p.activations } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  // the checkpoint must be the scenario's model
  const expected = new Map(modelTensors(n.job.model).map((t) => [t.name, t.shape]));
  for (const t of sens.tensors) {
    const e = expected.get(t.name);
    if (e && (e[0] !== t.shape[0] || e[1] !== t.shape[1]))
      throw new IssueError([
        mkIssue({
          code: 'invalid_value',
          path: ['checkpoint'],
          value: p.checkpoint,
          reason: `tensor ${t.name} is [${t.shape.join(', ')}] in the checkpoint but [${e.join(', ')}] in the scenario's model: they are not the same model`,
        }),
      ]);
  }
  const missing = [...expected.keys()].filter((k) => !sens.tensors.some((t) => t.name === k));
  const w: Warning[] = [];
  if (missing.length)
    w.push(
      warning(
        'estimate',
        `${missing.length} weight(s) of the model are not in the checkpoint under Hugging Face's names (e.g. ${missing[0]}); they are planned in 16 bits`,
        ['checkpoint'],
      ),
    );
  const { bestCandidate: _, ...r } = assemble(p, o, sens, w);
  if (!o.out) return r;
  const written = await writePlan(
    p.checkpoint,
    o.out,
    p.target.format,
    r.decisions,
    { ...r, files: [] },
    {
      ...(o.force ? { force: true } : {}),
      ...(o.workers ? { workers: o.workers } : {}),
    },
  );
  const modelPath = p.target.format === 'gguf' ? written.files[0]! : written.folder;
  return {
    ...r,
    files: written.files,
    serveCommand: serveCommand(r.best, n.job.model, p.target, modelPath, o.exportData ?? loadExportData()),
    sensitivity: { ...r.sensitivity, notes: [...r.sensitivity.notes, ...written.notes] },
  };
}
