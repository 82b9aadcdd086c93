import type { ServePlanResult } from '../serve/plan.js';
import type { ServeReport } from '../serve/report.js';
import type { Roofline } from '../serve/roofline.js';
import type { DeploymentOption, DeploymentSearch } from '../serve/slo.js';
import { base, COLORS, fixed, GB, type ChartSpec } from './types.js';

/** Charts of a serving plan: memory, time per phase, the splits and deployments against the SLO, latency against load. */

export const splitLabel = (r: ServeReport) =>
  `TP${r.parallelism.tensor} PP${r.parallelism.pipeline}${r.parallelism.expert > 1 ? ` EP${r.parallelism.expert}` : ''} ${r.quantization.weights}/${r.quantization.kvCache}`;

export function servingMemoryChart(r: ServeReport): ChartSpec {
  const b = r.memory.breakdown;
  const cap = r.memory.capacityBytes / GB;
  const parts: [string, number][] = [
    ['weights', b.weights],
    ['KV cache', b.kvCache],
    ['activations', b.activations],
    ['runtime', b.other],
  ];
  return {
    id: 'serving-memory',
    title: 'Memory per device against capacity',
    caption: `${fixed(r.memory.perDeviceBytes / GB, 1)} of ${fixed(cap, 1)} GB per device; KV room for ${r.memory.maxConcurrency} requests of this shape.`,
    option: base('Memory per device (GB)', {
      legend: { bottom: 0 },
      grid: { left: 20, right: 30, top: 40, bottom: 70, containLabel: true },
      xAxis: { type: 'value', name: 'GB', max: Math.ceil(Math.max(cap, r.memory.perDeviceBytes / GB) * 1.05) },
      yAxis: { type: 'category', data: ['device'] },
      series: parts.map(([name, v], i) => ({
        name,
        type: 'bar',
        stack: 'mem',
        data: [fixed(v / GB, 3)],
        ...(i === 0
          ? {
              markLine: {
                symbol: 'none',
                lineStyle: { color: '#c00', type: 'dashed' },
                label: { formatter: `capacity ${fixed(cap, 1)} GB` },
                data: [{ xAxis: fixed(cap, 3) }],
              },
            }
          : {}),
      })),
    }),
    height: 220,
  };
}

export function servingTimeChart(r: ServeReport): ChartSpec {
  const p = r.breakdown.prefill;
  const d = r.breakdown.decode;
  const ms = (s: number) => fixed(s * 1000, 4);
  return {
    id: 'serving-time',
    title: 'Where the time goes (roofline components)',
    caption:
      'Compute, memory-traffic and communication time summed over the ops of one prompt prefill and one decode step; the slower of compute and memory bounds each op.',
    option: base('Time per phase (ms)', {
      legend: { bottom: 0 },
      grid: { left: 130, right: 30, top: 40, bottom: 60 },
      xAxis: { type: 'value', name: 'ms' },
      yAxis: { type: 'category', data: ['prefill (1 prompt)', `decode step (${r.workload.concurrency})`] },
      series: [
        { name: 'compute', type: 'bar', data: [ms(p.computeSeconds), ms(d.computeSeconds)] },
        { name: 'memory', type: 'bar', data: [ms(p.memorySeconds), ms(d.memorySeconds)] },
        { name: 'communication', type: 'bar', data: [ms(p.communicationSeconds), ms(d.communicationSeconds)] },
      ],
    }),
    height: 240,
  };
}

/** The best split and its runners-up: output tokens/s per device against TPOT, with the SLO. */
export function servingSplitsChart(r: ServePlanResult): ChartSpec {
  const all = [r, ...(r.alternatives ?? [])];
  const pt = (x: ServeReport, i: number) =>
    x.latency && x.throughput
      ? { value: [fixed(x.latency.tpotSeconds * 1000, 3), fixed(x.throughput.outputTokensPerSecondPerDevice, 3)], name: splitLabel(x), row: i }
      : null;
  const slo = r.slo?.tpotMs;
  return {
    id: 'serving-splits',
    title: 'Splits: throughput per device against time per output token',
    caption: `The best split (diamond) and ${all.length - 1} runner(s)-up${slo ? `; the dashed line is the TPOT SLO of ${slo} ms` : ''}; splits with no finite latency are left out.`,
    option: base('Output tokens/s per device vs TPOT', {
      grid: { left: 70, right: 30, top: 50, bottom: 70 },
      legend: { bottom: 0 },
      xAxis: { type: 'value', name: 'TPOT (ms)', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: 'tokens/s per device', scale: true },
      series: [
        {
          name: 'runners-up',
          type: 'scatter',
          symbolSize: 10,
          data: all.map(pt).filter((x, i) => x && i > 0),
          ...(slo
            ? { markLine: { symbol: 'none', lineStyle: { color: '#c00', type: 'dashed' }, label: { formatter: `SLO ${slo} ms` }, data: [{ xAxis: slo }] } }
            : {}),
        },
        { name: 'best', type: 'scatter', symbol: 'diamond', symbolSize: 18, itemStyle: { color: COLORS[3] }, data: [pt(r, 0)].filter(Boolean) },
      ],
    }),
  };
}

export type ParetoX = 'tpot' | 'userTokensPerSecond';

/** The catalog search: $ per million output tokens against TPOT (or per-user tokens/s), the Pareto front, the SLO and the cheapest plan meeting it. */
export function servingParetoChart(s: DeploymentSearch, slo: { tpotMs?: number } | undefined, x: ParetoX = 'tpot'): ChartSpec {
  const xv = (o: DeploymentOption) => (x === 'tpot' ? fixed(o.tpotSeconds * 1000, 3) : fixed(1 / o.tpotSeconds, 3));
  const label = (o: DeploymentOption) =>
    `${o.accelerator} ${o.replicas}×${o.devicesPerReplica} TP${o.split.tensor} ${o.weights}/${o.kvCache} c${o.concurrency}`;
  const rows = s.ranked.length ? s.ranked : s.closest;
  const pt = (o: DeploymentOption, i: number) => ({ value: [xv(o), fixed(o.usdPerMillionOutputTokens, 4)], name: label(o), row: i });
  const sloX = slo?.tpotMs ? (x === 'tpot' ? slo.tpotMs : fixed(1000 / slo.tpotMs, 3)) : null;
  return {
    id: 'serving-pareto',
    title: 'Deployments: cost against per-user speed',
    caption: `${s.evaluated.toLocaleString('en-US')} deployments evaluated over the catalog; the line is the Pareto front of those meeting the SLO, the diamond the cheapest${sloX !== null ? `; dashed: the TPOT SLO` : ''}. Points are linked to the table rows.`,
    option: base(x === 'tpot' ? '$ per million output tokens vs TPOT' : '$ per million output tokens vs tokens/s per user', {
      grid: { left: 70, right: 30, top: 50, bottom: 70 },
      legend: { bottom: 0 },
      xAxis: { type: 'value', name: x === 'tpot' ? 'TPOT (ms)' : 'tokens/s per user', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: '$ / M output tokens', scale: true },
      series: [
        {
          name: s.ranked.length ? 'cheapest meeting the SLO' : 'closest (none meets the SLO)',
          type: 'scatter',
          symbolSize: 10,
          data: rows.map(pt),
          ...(sloX !== null
            ? { markLine: { symbol: 'none', lineStyle: { color: '#c00', type: 'dashed' }, label: { formatter: 'SLO' }, data: [{ xAxis: sloX }] } }
            : {}),
        },
        {
          name: 'Pareto front',
          type: 'line',
          step: false,
          symbolSize: 6,
          data: s.pareto.map((o) => [xv(o), fixed(o.usdPerMillionOutputTokens, 4)]).sort((a, b) => a[0]! - b[0]!),
        },
        ...(s.best
          ? [{ name: 'best under the SLO', type: 'scatter', symbol: 'diamond', symbolSize: 18, itemStyle: { color: COLORS[3] }, data: [pt(s.best, 0)] }]
          : []),
      ],
    }),
  };
}

export interface RateRow {
  requestRate: number;
  report: ServeReport | null;
}

/** Latency percentiles (queueing model) against the offered request rate; gaps where the queue is unstable. */
export function servingRateChart(rows: RateRow[]): ChartSpec {
  const q = (f: (r: ServeReport) => number | undefined) =>
    rows.map((x) => [fixed(x.requestRate, 4), x.report?.latency?.percentiles ? fixed(f(x.report)! * 1000, 3) : null]);
  const unstable = rows.filter((x) => x.report && x.report.stable === false).map((x) => x.requestRate);
  return {
    id: 'serving-latency-rate',
    title: 'Latency percentiles against request rate',
    caption: `TTFT and TPOT p50/p90/p99 of the best split at ${rows.length} offered rates${unstable.length ? `; from ${fixed(Math.min(...unstable), 3)} requests/s the queue grows without bound and no latency exists` : ''}.`,
    option: base('Latency vs offered load', {
      legend: { bottom: 0 },
      tooltip: { trigger: 'axis' },
      grid: [
        { left: 60, right: '54%', top: 40, bottom: 60 },
        { left: '56%', right: 20, top: 40, bottom: 60 },
      ],
      xAxis: [
        { type: 'value', gridIndex: 0, name: 'requests/s', nameLocation: 'middle', nameGap: 26 },
        { type: 'value', gridIndex: 1, name: 'requests/s', nameLocation: 'middle', nameGap: 26 },
      ],
      yAxis: [
        { type: 'value', gridIndex: 0, name: 'TTFT (ms)' },
        { type: 'value', gridIndex: 1, name: 'TPOT (ms)' },
      ],
      series: [
        { name: 'TTFT p50', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: q((r) => r.latency!.percentiles!.ttft.p50), connectNulls: false },
        { name: 'TTFT p90', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: q((r) => r.latency!.percentiles!.ttft.p90) },
        { name: 'TTFT p99', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: q((r) => r.latency!.percentiles!.ttft.p99) },
        { name: 'TPOT p50', type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: q((r) => r.latency!.percentiles!.tpot.p50) },
        { name: 'TPOT p90', type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: q((r) => r.latency!.percentiles!.tpot.p90) },
        { name: 'TPOT p99', type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: q((r) => r.latency!.percentiles!.tpot.p99) },
      ],
    }),
  };
}

/**
 * The per-operator roofline (log-log): each operator of one prefill and one decode step at its
 * arithmetic intensity and achieved FLOP/s, under the device's roofs (nominal peak per precision,
 * nominal bandwidth); element-wise kernels do no FLOPs and are left to the time breakdown.
 */
export function servingRooflineChart(r: Roofline): ChartSpec {
  const ops = r.ops.filter((o) => o.flops > 0 && o.bytes > 0);
  const xs = ops.map((o) => o.intensity);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(0.5, ...xs))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2e4, ...xs)));
  const T = 1e12;
  const roofs = (
    [
      ['bf16', r.peakFlops.bf16],
      ['fp8', r.peakFlops.fp8],
      ['fp4', r.peakFlops.fp4],
    ] as [string, number][]
  ).filter(([, p]) => p > 0);
  const roof = ([name, peak]: [string, number], i: number) => {
    const ridge = peak / r.bandwidth;
    const pts = [lo, Math.min(Math.max(ridge, lo), hi), hi].map((x) => [x, fixed(Math.min(peak, r.bandwidth * x) / T, 4)]);
    return {
      name: `${name} roof`,
      type: 'line',
      data: pts,
      symbol: 'none',
      lineStyle: { type: i === 0 ? 'solid' : 'dashed', color: '#888' },
      tooltip: { show: false },
    };
  };
  const point = (o: (typeof ops)[number]) => ({
    value: [fixed(o.intensity, 3), fixed(o.flopsPerSecond / T, 4)],
    name: o.op,
    op: o.op,
    label: { show: true, formatter: o.op, position: 'right', fontSize: 10 },
  });
  const slowest = (p: 'prefill' | 'decode') => {
    const xs = r.ops.filter((o) => o.phase === p).sort((a, b) => b.seconds - a.seconds);
    const total = xs.reduce((s, o) => s + o.seconds, 0);
    return xs[0] ? `${xs[0].op} (${xs[0].bound}-bound, ${fixed((100 * xs[0].seconds) / total, 0)} % of op time)` : 'none';
  };
  return {
    id: 'serving-roofline',
    title: 'Per-operator roofline',
    caption: `Each operator of a ${r.prefill.tokens}-token prefill and of a decode step with ${fixed(r.decode.sequences, 1)} sequences at ${fixed(r.decode.context, 0)} tokens of context on ${r.device}, summed over one device's layers, priced as the step time prices it. Slowest in prefill: ${slowest('prefill')}; in decode: ${slowest('decode')}. Element-wise kernels do no FLOPs and are not drawn.`,
    option: base('Roofline: achieved TFLOP/s against FLOPs per byte', {
      legend: { bottom: 0 },
      grid: { left: 60, right: 80, top: 40, bottom: 70 },
      xAxis: { type: 'log', name: 'FLOPs per byte', nameLocation: 'middle', nameGap: 28, min: lo, max: hi },
      yAxis: { type: 'log', name: 'TFLOP/s', min: 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...ops.map((o) => o.flopsPerSecond / T), 1)))) },
      series: [
        ...roofs.map(roof),
        { name: 'prefill', type: 'scatter', symbolSize: 9, data: ops.filter((o) => o.phase === 'prefill').map(point) },
        { name: 'decode', type: 'scatter', symbolSize: 9, symbol: 'diamond', data: ops.filter((o) => o.phase === 'decode').map(point) },
      ],
    }),
    height: 420,
  };
}

export function servingCharts(r: ServePlanResult, rates?: RateRow[]): ChartSpec[] {
  return [servingMemoryChart(r), servingTimeChart(r), servingSplitsChart(r), ...(rates?.length ? [servingRateChart(rates)] : [])];
}
