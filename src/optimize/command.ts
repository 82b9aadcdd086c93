import { exportPlan } from '../export/export.js';
import { exportModel } from '../export/model.js';
import type { ExportTarget, TargetData } from '../export/types.js';
import type { ModelSpec } from '../model/types.js';
import type { ServeReport } from '../serve/report.js';
import type { Target } from './targets.js';

/**
 * The command that serves the written checkpoint: `llama-server` for GGUF, `vllm serve` for
 * compressed-tensors and bitsandbytes, built by the exporter (src/export, flags checked against
 * data/export for the version) from the best plan, with the written file or folder as the model.
 */
export function serveCommand(plan: ServeReport, model: ModelSpec, target: Target, modelPath: string | null, data: Record<ExportTarget, TargetData>): string {
  const t: ExportTarget = target.server === 'llama-server' ? 'llama.cpp' : 'vllm';
  // vLLM reads the scheme from the checkpoint's quantization_config: no --quantization flag (it would contradict it), except bitsandbytes
  const weights =
    target.format === 'bitsandbytes'
      ? 'nf4'
      : target.format === 'compressed-tensors' && plan.quantization.weights !== 'bf16'
        ? 'compressed-tensors'
        : plan.quantization.weights;
  const r = exportPlan(
    { kind: 'inference', plan: { ...plan, quantization: { ...plan.quantization, weights }, searched: false }, model: exportModel(model), extras: {} },
    t,
    undefined,
    data,
  );
  const cmd = r.command ?? '';
  if (!modelPath) return cmd;
  const quoted = `'${modelPath.replace(/'/g, `'\\''`)}'`;
  return cmd.replace(/"\$\{MODEL:\?[^}]*\}"/, quoted);
}
