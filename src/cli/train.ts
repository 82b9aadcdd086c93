import { pc } from './style.js';
import { readScenario, type RawScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { planTraining, type TrainingResult } from '../train/plan.js';
import type { TrainReport } from '../train/report.js';
import { nodeFiles } from '../context/node-files.js';
import { choiceFlag, context, guard, intFlag, numFlag, printWarnings, type ExitCode, type Io } from './common.js';
import { bar, bytes, heading, num, pct, seconds, styled, table } from './format.js';
import { calibrationSources } from '../cost/calibration.js';
import { trainingReport } from '../charts/reports.js';
import { writeReportOutputs } from '../charts/write.js';

export interface TrainFlags {
  json?: boolean;
  gpus?: string;
  accelerator?: string;
  perNode?: string;
  model?: string;
  tp?: string;
  pp?: string;
  dp?: string;
  cp?: string;
  ep?: string;
  vp?: string;
  sp?: boolean;
  zero?: string;
  mbs?: string;
  gbs?: string;
  seq?: string;
  recompute?: string;
  precision?: string;
  tokens?: string;
  price?: string;
  alternatives?: string;
  html?: string;
  svg?: string;
}

type Obj = Record<string, unknown>;

/** Sets data[sec][key], creating the section only when a flag actually writes into it. */
function set(data: Obj, sec: string, key: string, value: unknown): void {
  const cur = data[sec];
  const o: Obj = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as Obj) : {};
  o[key] = value;
  data[sec] = o;
}

/** Applies command-line overrides to the raw scenario before it is validated. */
export function applyTrainFlags(raw: RawScenario, f: TrainFlags): void {
  const d = raw.data;
  if (f.model !== undefined) d.model = f.model;
  if (f.accelerator !== undefined) set(d, 'system', 'accelerator', f.accelerator);
  if (f.gpus !== undefined) {
    set(d, 'system', 'count', intFlag('gpus', f.gpus));
    // a new device count re-derives data parallelism unless it is given too
    const par = d.parallelism as Obj | undefined;
    if (f.dp === undefined && par && typeof par === 'object') delete par.data;
  }
  if (f.perNode !== undefined) set(d, 'system', 'perNode', intFlag('per-node', f.perNode));
  if (f.price !== undefined) set(d, 'system', 'pricePerHour', numFlag('price', f.price));
  const map: [keyof TrainFlags, string, string][] = [
    ['tp', 'tensor', 'tp'],
    ['pp', 'pipeline', 'pp'],
    ['dp', 'data', 'dp'],
    ['cp', 'context', 'cp'],
    ['ep', 'expert', 'ep'],
    ['vp', 'virtualStages', 'vp'],
  ];
  for (const [flag, key, name] of map) if (f[flag] !== undefined) set(d, 'parallelism', key, intFlag(name, f[flag] as string));
  if (f.sp !== undefined) set(d, 'parallelism', 'sequenceParallel', f.sp);
  if (f.zero !== undefined) set(d, 'parallelism', 'zero', Number(choiceFlag('zero', f.zero, ['0', '1', '2', '3'])));
  if (f.mbs !== undefined) set(d, 'training', 'microBatchSize', intFlag('mbs', f.mbs));
  if (f.gbs !== undefined) set(d, 'training', 'globalBatchSize', intFlag('gbs', f.gbs));
  if (f.seq !== undefined) set(d, 'training', 'sequenceLength', intFlag('seq', f.seq));
  if (f.recompute !== undefined) set(d, 'training', 'recompute', f.recompute);
  if (f.precision !== undefined) set(d, 'training', 'precision', f.precision);
  if (f.tokens !== undefined) set(d, 'training', 'tokens', f.tokens === 'chinchilla' ? 'chinchilla' : numFlag('tokens', f.tokens));
}

export async function trainCommand(path: string, f: TrainFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, () => {
    const raw = readScenario(path, io.readStdin);
    applyTrainFlags(raw, f);
    const alternatives = intFlag('alternatives', f.alternatives, 0) ?? 4;
    const scenario = structuredClone(raw.data);
    const n = normalizeTraining(raw, context(), nodeFiles);
    const t0 = performance.now();
    const r = planTraining(n, { alternatives });
    const seconds = (performance.now() - t0) / 1000;
    if (f.html !== undefined || f.svg !== undefined) {
      const report = trainingReport(scenario, r, { cal: calibrationSources(context().calibrationSources), generated: new Date().toISOString() });
      io.err(`wrote ${writeReportOutputs(report, { html: f.html, svg: f.svg, inputs: [path] }).join(', ')}\n`);
    }
    if (json) {
      io.out(JSON.stringify(r, null, 2) + '\n');
    } else {
      printWarnings(r.warnings, io);
      io.out(renderTraining(r, seconds));
    }
    return 0;
  });
}

function planLine(r: TrainReport): string {
  const p = r.parallelism;
  const parts = [`TP ${p.tensor}`, `PP ${p.pipeline}${p.virtualStages > 1 ? `×${p.virtualStages}v` : ''}`, `DP ${p.data}`];
  if (p.context > 1) parts.push(`CP ${p.context}`);
  if (p.expert > 1) parts.push(`EP ${p.expert}`);
  if (p.sequenceParallel) parts.push('SP');
  parts.push(`ZeRO ${p.zero}`, `mb ${r.training.microBatchSize}`, `${r.training.recompute} recompute`, r.training.precision);
  return parts.join(' · ');
}

export function renderTraining(r: TrainingResult, searchSeconds = 0): string {
  const out: string[] = [];
  const m = r.model;
  out.push(
    heading(
      `Training ${m.name} (${num(m.parameters)} parameters${m.activeParameters !== m.parameters ? `, ${num(m.activeParameters)} active` : ''}) on ${r.system.count} × ${r.system.accelerator}`,
    ),
  );
  out.push(`${r.searched ? 'Best plan' : 'Plan'}: ${pc.bold(planLine(r))}`);
  out.push(
    `${r.fits ? pc.green('fits') : pc.red('DOES NOT FIT')} · step ${seconds(r.step.seconds)} · ${num(r.throughput.tokensPerSecond)} tokens/s (${num(r.throughput.tokensPerSecondPerDevice)} per device) · MFU ${pct(r.flops.mfu)} · HFU ${pct(r.flops.hfu)} · bound by ${r.bound}`,
  );
  out.push('');
  const mem = r.memory;
  const b = mem.breakdown;
  const cap = mem.capacityBytes;
  out.push(heading('Memory per device (busiest stage)'));
  out.push(
    table(
      ['', 'bytes', 'share of capacity', ''],
      [
        ['weights', bytes(b.weights), pct(b.weights / cap), bar(b.weights / cap)],
        ['gradients', bytes(b.gradients), pct(b.gradients / cap), bar(b.gradients / cap)],
        ['optimizer states', bytes(b.optimizer), pct(b.optimizer / cap), bar(b.optimizer / cap)],
        ['activations', bytes(b.activations), pct(b.activations / cap), bar(b.activations / cap)],
        ['runtime, buffers, fragmentation', bytes(b.other), pct(b.other / cap), bar(b.other / cap)],
        [styled(pc.bold('total')), styled(pc.bold(bytes(mem.perDeviceBytes))), pct(mem.perDeviceBytes / cap), `of ${bytes(cap)}`],
      ],
    ),
  );
  out.push('');
  const s = r.step;
  const d = s.detail;
  out.push(heading('Step time'));
  out.push(
    table(
      ['', 'time', 'share'],
      [
        ['compute', seconds(s.breakdown.compute), pct(s.breakdown.compute / s.seconds)],
        ['exposed communication', seconds(s.breakdown.exposedCommunication), pct(s.breakdown.exposedCommunication / s.seconds)],
        ['pipeline bubble', seconds(s.breakdown.pipelineBubble), pct(s.breakdown.pipelineBubble / s.seconds)],
        ['optimizer and other', seconds(s.breakdown.other), pct(s.breakdown.other / s.seconds)],
        [styled(pc.bold('step')), styled(pc.bold(seconds(s.seconds))), `${r.training.microBatches} micro-batches`],
      ],
    ),
  );
  const c = r.communication;
  out.push(
    table(
      ['communication per device', 'volume / step', 'time (before overlap)'],
      [
        ['tensor parallel', bytes(c.tensorBytesPerStep), seconds(d.tensorSeconds)],
        ['context parallel', bytes(c.contextBytesPerStep), seconds(d.contextSeconds)],
        ['expert all-to-all', bytes(c.expertBytesPerStep), seconds(d.expertSeconds)],
        ['pipeline send/recv', bytes(c.pipelineBytesPerStep), `${seconds(d.pipelineExposedSeconds)} exposed`],
        ['data parallel', bytes(c.dataBytesPerStep), `${seconds(d.dataSeconds)} (${seconds(d.dataExposedSeconds)} exposed)`],
      ],
    ),
  );
  if (r.run) {
    out.push('');
    out.push(heading('Whole run'));
    out.push(
      `${num(r.run.tokens)} tokens in ${num(r.run.steps)} steps: ${r.run.days.toFixed(1)} days, ${num(r.run.deviceHours)} device-hours (${num(r.run.deviceHoursAtPeak)} at 100% of peak), ≈ $${num(r.run.costUsd)} at $${r.run.pricePerDeviceHour}/device-hour`,
    );
  }
  if (r.alternatives && r.alternatives.length) {
    out.push('');
    out.push(heading('Next best plans'));
    out.push(
      table(
        ['plan', 'tokens/s/device', 'step', 'memory', 'why it loses'],
        r.alternatives.map((a) => [planLine(a), num(a.throughput.tokensPerSecondPerDevice), seconds(a.step.seconds), bytes(a.memory.perDeviceBytes), a.why]),
        { align: ['left', 'right', 'right', 'right', 'left'] },
      ),
    );
  }
  if (r.search) {
    out.push(
      pc.dim(
        `searched ${num(r.search.evaluated)} plans (${num(r.search.feasible)} fit) in ${seconds(searchSeconds)}: ${num(r.search.evaluated / Math.max(searchSeconds, 1e-9))} plans/s`,
      ),
    );
  }
  return out.join('\n') + '\n';
}
