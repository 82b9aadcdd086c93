import type { TrainReport } from '../train/report.js';
import type { TrainingResult } from '../train/plan.js';
import { pipelineSchedule } from './schedule.js';
import { memoryBarChart } from './memory.js';
import { base, COLORS, fixed, GB, type ChartSpec } from './types.js';

/** Charts of a training plan: memory against capacity, step time, the pipeline schedule, the candidates. */

export function planLabel(r: TrainReport): string {
  const p = r.parallelism;
  return `TP${p.tensor} PP${p.pipeline}${p.virtualStages > 1 ? `×${p.virtualStages}` : ''} DP${p.data}${p.context > 1 ? ` CP${p.context}` : ''}${p.expert > 1 ? ` EP${p.expert}` : ''} mb${r.training.microBatchSize} ${r.training.recompute} z${p.zero}`;
}

const MEMORY_PARTS = [
  ['weights', 'weights'],
  ['gradients', 'gradients'],
  ['optimizer', 'optimizer states'],
  ['activations', 'activations'],
  ['other', 'runtime and fragmentation'],
] as const;

export function trainingMemoryChart(r: TrainReport): ChartSpec {
  const b = r.memory.breakdown;
  return memoryBarChart({
    id: 'training-memory',
    caption: `Peak memory on the busiest device, ${fixed(r.memory.perDeviceBytes / GB, 1)} of ${fixed(r.memory.capacityBytes / GB, 1)} GB; the line is the device's capacity.`,
    device: 'busiest device',
    parts: MEMORY_PARTS.map(([k, name]) => [name, b[k]] as const),
    totalBytes: r.memory.perDeviceBytes,
    capacityBytes: r.memory.capacityBytes,
  });
}

export function trainingStepChart(r: TrainReport): ChartSpec {
  const s = r.step.breakdown;
  const d = r.step.detail;
  const parts: [string, number][] = [
    ['compute', s.compute],
    ['exposed communication', s.exposedCommunication],
    ['pipeline bubble', s.pipelineBubble],
    ['optimizer and other', s.other],
  ];
  const comm: [string, number][] = [
    ['tensor parallel', d.tensorSeconds],
    ['context parallel', d.contextSeconds],
    ['expert all-to-all', d.expertSeconds],
    ['data parallel (total)', d.dataSeconds],
    ['data parallel exposed', d.dataExposedSeconds],
    ['pipeline exposed', d.pipelineExposedSeconds],
    ['optimizer', d.optimizerSeconds],
  ];
  return {
    id: 'training-step',
    title: 'Step time breakdown',
    caption: `One step of ${fixed(r.step.seconds, 3)} s: the four terms add up to it; the bars on the right are the communication times before overlap.`,
    option: base('Step time (s)', {
      grid: [
        { left: 160, right: 70, top: 36, height: '34%' },
        { left: 160, right: 70, top: '58%', bottom: 28 },
      ],
      xAxis: [
        { type: 'value', gridIndex: 0, name: 's' },
        { type: 'value', gridIndex: 1, name: 's' },
      ],
      yAxis: [
        { type: 'category', gridIndex: 0, data: parts.map((p) => p[0]), inverse: true },
        { type: 'category', gridIndex: 1, data: comm.map((p) => p[0]), inverse: true },
      ],
      series: [
        {
          name: 'step terms',
          type: 'bar',
          xAxisIndex: 0,
          yAxisIndex: 0,
          data: parts.map((p) => fixed(p[1], 6)),
          label: { show: true, position: 'right', formatter: '{c}' },
        },
        { name: 'before overlap', type: 'bar', xAxisIndex: 1, yAxisIndex: 1, data: comm.map((p) => fixed(p[1], 6)), itemStyle: { color: COLORS[1] } },
      ],
    }),
    height: 380,
  };
}

/** The largest number of ops a timeline draws; beyond it, fewer micro-batches are drawn (the bubble is at the ends). */
export const SCHEDULE_OP_LIMIT = 4000;

export function trainingScheduleChart(r: TrainReport): ChartSpec {
  const p = r.parallelism.pipeline;
  const v = r.parallelism.virtualStages;
  const m = r.training.microBatches;
  const perMb = r.step.breakdown.compute / Math.max(1, m);
  const bwdShare = r.training.recompute === 'full' ? 3 : 2;
  const tf = perMb / (1 + bwdShare);
  const tb = perMb - tf;
  let shown = m;
  if (2 * p * v * m > SCHEDULE_OP_LIMIT) shown = Math.max(p, Math.floor(SCHEDULE_OP_LIMIT / (2 * p * v) / p) * p);
  const s = pipelineSchedule(p, v, shown, tf, tb);
  const data = s.ops.map((o) => [o.rank, o.start, o.end, o.kind === 'F' ? 0 : 1, o.microBatch, o.chunk]);
  return {
    id: 'training-schedule',
    title: p > 1 ? `Pipeline schedule (${v > 1 ? `interleaved 1F1B, ${v} chunks per stage` : '1F1B'})` : 'Schedule (no pipeline)',
    caption: `${p} stage(s), ${m} micro-batches${shown < m ? ` (the first ${shown} drawn)` : ''}, compute split 1:${bwdShare} forward:backward from the plan's ${fixed(r.step.breakdown.compute, 3)} s of compute; gaps are the bubble (${(s.bubbleFraction * 100).toFixed(1)}% of this timeline; the report prices ${fixed(r.step.breakdown.pipelineBubble, 3)} s).`,
    option: base('Pipeline schedule', {
      tooltip: { trigger: 'item', formatter: undefined },
      grid: { left: 70, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'value', name: 's', min: 0, max: fixed(s.makespan, 6), axisLabel: { showMaxLabel: false } },
      yAxis: { type: 'category', inverse: true, data: Array.from({ length: p }, (_, i) => `stage ${i}`) },
      legend: { bottom: 0, data: ['forward', 'backward'] },
      series: [
        {
          name: 'forward',
          type: 'custom',
          renderItem: renderBar,
          encode: { x: [1, 2], y: 0 },
          data: data.filter((d) => d[3] === 0),
          itemStyle: { color: COLORS[0] },
        },
        {
          name: 'backward',
          type: 'custom',
          renderItem: renderBar,
          encode: { x: [1, 2], y: 0 },
          data: data.filter((d) => d[3] === 1),
          itemStyle: { color: COLORS[1] },
        },
      ],
    }),
    height: Math.min(520, 90 + p * 22),
  };
}

/** Draws one [rank, start, end] op as a rectangle (ECharts custom series). */
function renderBar(
  _params: unknown,
  api: { value: (i: number) => number; coord: (v: number[]) => number[]; size: (v: number[]) => number[]; visual: (k: string) => unknown },
) {
  const y = api.value(0);
  const a = api.coord([api.value(1), y]);
  const b = api.coord([api.value(2), y]);
  const h = api.size([0, 1])[1]! * 0.7;
  return {
    type: 'rect',
    shape: { x: a[0]!, y: a[1]! - h / 2, width: Math.max(0.5, b[0]! - a[0]! - 0.3), height: h },
    style: { fill: api.visual('color') as string },
  };
}

/** Every plan the report carries (best first), as scatter points: throughput per device against memory. */
export function trainingCandidates(
  r: TrainingResult,
): { label: string; tokensPerSecondPerDevice: number; memoryGB: number; fits: boolean; why: string; best: boolean }[] {
  const best = {
    label: planLabel(r),
    tokensPerSecondPerDevice: r.throughput.tokensPerSecondPerDevice,
    memoryGB: r.memory.perDeviceBytes / GB,
    fits: r.fits,
    why: 'best',
    best: true,
  };
  return [
    best,
    ...(r.alternatives ?? []).map((a) => ({
      label: planLabel(a),
      tokensPerSecondPerDevice: a.throughput.tokensPerSecondPerDevice,
      memoryGB: a.memory.perDeviceBytes / GB,
      fits: a.fits,
      why: a.why,
      best: false,
    })),
  ];
}

export function trainingCandidatesChart(r: TrainingResult): ChartSpec {
  const pts = trainingCandidates(r);
  const cap = r.memory.capacityBytes / GB;
  const toPoint = (x: (typeof pts)[number], i: number) => ({ value: [fixed(x.memoryGB, 3), fixed(x.tokensPerSecondPerDevice, 3)], name: x.label, row: i });
  return {
    id: 'training-candidates',
    title: 'Evaluated plans: throughput against memory',
    caption: r.search
      ? `The best plan and the ${pts.length - 1} next best of ${r.search.evaluated.toLocaleString('en-US')} evaluated (${r.search.feasible.toLocaleString('en-US')} fit); the table says why each loses.`
      : 'A fully given plan: nothing was searched.',
    option: base('Throughput per device vs memory per device', {
      grid: { left: 70, right: 30, top: 50, bottom: 70 },
      legend: { bottom: 0 },
      xAxis: { type: 'value', name: 'memory per device (GB)', nameLocation: 'middle', nameGap: 26, scale: true },
      yAxis: { type: 'value', name: 'tokens/s per device', scale: true },
      series: [
        {
          name: 'alternatives',
          type: 'scatter',
          symbolSize: 10,
          data: pts.map(toPoint).filter((_, i) => i > 0),
          markLine: { symbol: 'none', lineStyle: { color: '#c00', type: 'dashed' }, label: { formatter: 'capacity' }, data: [{ xAxis: fixed(cap, 3) }] },
        },
        { name: 'best', type: 'scatter', symbol: 'diamond', symbolSize: 18, itemStyle: { color: COLORS[3] }, data: [toPoint(pts[0]!, 0)] },
      ],
    }),
  };
}

export function trainingCharts(r: TrainingResult): ChartSpec[] {
  return [trainingMemoryChart(r), trainingStepChart(r), trainingScheduleChart(r), trainingCandidatesChart(r)];
}
