import type { ServePlanResult } from '../serve/plan.js';
import type { TrainingResult } from '../train/plan.js';
import type { ExportCheck, NotEmitted } from './types.js';

/** The header comment of an exported command: the plan, what Sinan predicts for it, and what the names were checked against. */

const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
const n = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

export function trainingSummary(p: TrainingResult): string[] {
  const q = p.parallelism;
  const t = p.training;
  const lines = [
    `Sinan ${p.searched ? 'best' : 'given'} plan for ${p.model.name} on ${p.system.count} x ${p.system.accelerator} (${p.system.perNode} per node):`,
    `  TP ${q.tensor} · PP ${q.pipeline}${q.virtualStages > 1 ? ` (${q.virtualStages} virtual stages)` : ''} · DP ${q.data} · CP ${q.context} · EP ${q.expert}${q.sequenceParallel ? ' · sequence parallel' : ''} · ZeRO ${q.zero}`,
    `  micro-batch ${t.microBatchSize} · global batch ${t.globalBatchSize} × ${t.sequenceLength} tokens · ${t.recompute} recompute · ${t.precision}`,
    `Predicted: step ${n(p.step.seconds)} s · ${n(p.throughput.tokensPerSecondPerDevice)} tokens/s per device · MFU ${pct(p.flops.mfu)} · memory ${gb(p.memory.perDeviceBytes)} of ${gb(p.memory.capacityBytes)} per device${p.fits ? '' : ' (DOES NOT FIT)'}`,
  ];
  if (p.run) lines.push(`  whole run: ${p.run.days.toFixed(1)} days, ${n(p.run.deviceHours)} device-hours`);
  lines.push(
    `Priced with: efficiency ${p.profiles.efficiency.generation}${p.profiles.efficiency.fitted ? ' (fitted)' : ' (uncalibrated)'}, calibration ${p.profiles.calibration}, framework profile ${p.profiles.framework}`,
  );
  return lines;
}

export function servingSummary(p: ServePlanResult): string[] {
  const q = p.parallelism;
  const lines = [
    `Sinan ${p.searched ? 'best' : 'given'} plan for ${p.model.name} on ${p.system.target}: ${p.system.replicas} replica(s) of ${p.system.devicesPerReplica} device(s)`,
    `  TP ${q.tensor} · PP ${q.pipeline} · EP ${q.expert} · weights ${p.quantization.weights} · KV cache ${p.quantization.kvCache} · ${p.workload.concurrency} requests in flight of ${p.workload.inputTokens} in / ${p.workload.outputTokens} out tokens`,
  ];
  if (p.latency && p.throughput)
    lines.push(
      `Predicted: TTFT ${ms(p.latency.ttftSeconds)} · TPOT ${ms(p.latency.tpotSeconds)} · ${n(p.throughput.outputTokensPerSecond)} output tokens/s (${n(p.throughput.outputTokensPerSecondPerDevice)} per device)${p.cost?.usdPerMillionOutputTokens != null ? ` · $${p.cost.usdPerMillionOutputTokens.toFixed(2)} per million output tokens` : ''}`,
    );
  else if (p.throughput) lines.push(`Predicted: unstable at the offered rate; at most ${n(p.throughput.outputTokensPerSecond)} output tokens/s`);
  else lines.push('Predicted: DOES NOT FIT (no latency or throughput)');
  lines.push(`  memory ${gb(p.memory.perDeviceBytes)} of ${gb(p.memory.capacityBytes)} per device, KV room for ${p.memory.maxConcurrency} requests`);
  lines.push(
    `Priced with: efficiency ${p.profiles.efficiency.generation}${p.profiles.efficiency.fitted ? ' (fitted)' : ' (uncalibrated)'}, calibration ${p.profiles.calibration}, engine profile ${p.profiles.engine}`,
  );
  return lines;
}

export function checkLines(label: string, c: ExportCheck): string[] {
  if (c.list === 'none')
    return [
      `Flags NOT checked: Sinan has no version-pinned ${label} argument list. They follow the current docs at the time the data was read`,
      `  (${c.source}); check them against \`--help\` of the release you run.`,
    ];
  const chosen = `Version ${c.version}: ${c.versionChoice}`;
  if (c.list === 'complete')
    return [
      chosen,
      `Names checked against ${label} ${c.version}: the complete list read from ${c.source}`,
      ...(c.completeFor ? [`  list scope: ${c.completeFor}`] : []),
    ];
  return [
    chosen,
    `Names checked against ${label} ${c.version}: a partial list of names seen in version-pinned docs (${c.source});`,
    `  only names on that list are emitted; settings without a checked name are listed below as comments.`,
  ];
}

export function notEmittedLines(ne: NotEmitted[]): string[] {
  if (!ne.length) return [];
  return ['Not emitted (set by hand if your release accepts them):', ...ne.map((x) => `  ${x.suggestion}   — ${x.setting}: ${x.reason}`)];
}

export function comment(lines: string[], mark = '#'): string {
  return lines.map((l) => (l ? `${mark} ${l}` : mark)).join('\n');
}
