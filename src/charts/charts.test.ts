import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { cluster, goodput, serve, serveCatalog, train } from '../api.js';
import { defaultContext } from '../context/load.js';
import { calibrationSources } from '../cost/calibration.js';
import type { GoodputReport } from '../fleet/plan.js';
import type { ServePlanResult } from '../serve/plan.js';
import type { TrainingResult } from '../train/plan.js';
import { deriveServing, deriveTraining, type Derivation } from './derive.js';
import { clusterChart, goodputIntervalChart, interruptionsChart } from './fleet.js';
import { reportHtml } from './report-html.js';
import { servingReport, trainingReport } from './reports.js';
import { servingCharts, servingParetoChart, servingRateChart, servingRooflineChart, servingSplitsChart } from './serving.js';
import { renderSvg } from './svg.js';
import { intervalSweep, rateSweep, trainingOf } from './sweeps.js';
import { trainingCandidates, trainingCandidatesChart, trainingMemoryChart, trainingScheduleChart, trainingStepChart } from './training.js';
import { fitRowsOf, validationChart } from './validation.js';

const ex = (f: string) => parse(readFileSync(`examples/${f}`, 'utf8')) as Record<string, unknown>;
const ok = <T>(r: { ok: true; value: T } | { ok: false }): T => {
  if (!r.ok) throw new Error('plan failed');
  return r.value;
};
type Series = { name: string; data: unknown[] };
const series = (o: Record<string, unknown>) => o.series as Series[];
const cal = calibrationSources(defaultContext().calibrationSources);

let tr: TrainingResult;
let sv: ServePlanResult;
beforeAll(() => {
  tr = ok(train(ex('llama3.1-405b-h100.yaml'), { alternatives: 8 }));
  sv = ok(serve(ex('llama3.1-70b-slo.yaml')));
});

describe('training charts plot the report numbers', () => {
  it('memory bars are the breakdown, in GB, with the capacity line', () => {
    const c = trainingMemoryChart(tr);
    const s = series(c.option);
    const b = tr.memory.breakdown;
    expect(s.map((x) => x.data[0])).toEqual([b.weights, b.gradients, b.optimizer, b.activations, b.other].map((v) => Number((v / 1e9).toFixed(3))));
    expect(JSON.stringify(c.option)).toContain(`"xAxis":${Number((tr.memory.capacityBytes / 1e9).toFixed(3))}`);
  });
  it('step terms are the step breakdown', () => {
    const d = series(trainingStepChart(tr).option)[0]!.data as number[];
    const sb = tr.step.breakdown;
    expect(d).toEqual([sb.compute, sb.exposedCommunication, sb.pipelineBubble, sb.other].map((v) => Number(v.toFixed(6))));
  });
  it('the schedule has one bar per forward and backward chunk of every micro-batch on every stage', () => {
    const c = trainingScheduleChart(tr);
    const [f, b] = series(c.option);
    const p = tr.parallelism;
    expect(f!.data.length).toBe(p.pipeline * p.virtualStages * tr.training.microBatches);
    expect(b!.data.length).toBe(f!.data.length);
  });
  it('the candidates are the best and every alternative, with why each loses', () => {
    const pts = trainingCandidates(tr);
    expect(pts.length).toBe(1 + tr.alternatives!.length);
    expect(pts.slice(1).map((x) => x.why)).toEqual(tr.alternatives!.map((a) => a.why));
    const s = series(trainingCandidatesChart(tr).option);
    expect((s[1]!.data[0] as { value: number[] }).value[1]).toBeCloseTo(tr.throughput.tokensPerSecondPerDevice, 2);
    expect(s[0]!.data.length).toBe(tr.alternatives!.length);
  });
});

describe('serving charts', () => {
  it('roofline: one point per operator at its FLOPs per byte and achieved rate, none above the roof', () => {
    const r = sv.roofline!;
    expect(servingCharts(sv).map((c) => c.id)).toContain('serving-roofline');
    const c = servingRooflineChart(r);
    const ss = series(c.option);
    const points = ss.filter((x) => x.name === 'prefill' || x.name === 'decode').flatMap((x) => x.data as { value: number[]; op: string }[]);
    const drawn = r.ops.filter((o) => o.flops > 0 && o.bytes > 0);
    expect(points.length).toBe(drawn.length);
    const roof = ss.find((x) => x.name === 'bf16 roof')!.data as number[][];
    const peak = Math.max(...roof.map((p) => p[1]!));
    for (const o of drawn) {
      const p = points.find((q) => q.op === o.op && Math.abs(q.value[0]! - o.intensity) <= 1e-3 * o.intensity + 1e-3)!;
      expect(p.value[1]).toBeCloseTo(o.flopsPerSecond / 1e12, 2);
      // achieved rate under min(peak, bandwidth x intensity) of the fastest precision it may use
      const best = Math.max(r.peakFlops.bf16, r.peakFlops.fp8, r.peakFlops.fp4);
      expect(o.flopsPerSecond).toBeLessThanOrEqual(Math.min(best, r.bandwidth * o.intensity) * 1.0001);
    }
    expect(peak).toBeCloseTo(r.peakFlops.bf16 / 1e12, 1);
  });
  it('a plan that does not fit carries no roofline', () => {
    const s = ex('llama3.1-70b-slo.yaml');
    const r = ok(serve({ ...s, system: { accelerator: 'nvidia-h100-sxm', count: 1 } }));
    expect(r.fits).toBe(false);
    expect(r.roofline).toBeUndefined();
    expect(servingCharts(r).map((c) => c.id)).not.toContain('serving-roofline');
  });
  it('splits: the best point is the report TPOT and throughput; the SLO line is the scenario SLO', () => {
    const c = servingSplitsChart(sv);
    const best = series(c.option)[1]!.data[0] as { value: number[] };
    expect(best.value[0]).toBeCloseTo(sv.latency!.tpotSeconds * 1000, 2);
    expect(best.value[1]).toBeCloseTo(sv.throughput!.outputTokensPerSecondPerDevice, 2);
    expect(JSON.stringify(c.option)).toContain('"xAxis":50');
  });
  it('Pareto: the front is the search front, the best point the cheapest under the SLO', () => {
    const s = ok(serveCatalog(ex('llama3.1-70b-slo.yaml')));
    const c = servingParetoChart(s, { tpotMs: 50 });
    const front = series(c.option).find((x) => x.name === 'Pareto front')!;
    expect(front.data.length).toBe(s.pareto.length);
    const best = series(c.option).find((x) => x.name === 'best under the SLO')!.data[0] as { value: number[] };
    expect(best.value[1]).toBeCloseTo(s.best!.usdPerMillionOutputTokens, 3);
    for (const o of s.ranked) expect(o.tpotSeconds * 1000).toBeLessThanOrEqual(50);
  });
  it('latency against rate: percentiles where the queue is stable, none past the capacity', async () => {
    const rows = await rateSweep(ex('llama3.1-70b-slo.yaml'), sv, (s) => Promise.resolve(ok(serve(s, { alternatives: 0 }))));
    expect(rows.length).toBeGreaterThan(5);
    const last = rows[rows.length - 1]!;
    expect(last.report!.stable).toBe(false);
    const c = servingRateChart(rows);
    const p99 = series(c.option).find((x) => x.name === 'TTFT p99')!.data as [number, number | null][];
    expect(p99[p99.length - 1]![1]).toBeNull();
    expect(p99[0]![1]).toBeCloseTo(rows[0]!.report!.latency!.percentiles!.ttft.p99 * 1000, 2);
    // latency grows with load
    const stable = p99.filter((x) => x[1] !== null).map((x) => x[1]!);
    for (let i = 1; i < stable.length; i++) expect(stable[i]!).toBeGreaterThanOrEqual(stable[i - 1]! * 0.999);
  });
});

describe('fleet charts', () => {
  it('goodput against interval peaks near the optimum, interruptions by cause add up', async () => {
    const g = ex('goodput-llama3-405b.yaml');
    const opt = ok(goodput({ ...g, reliability: { ...(g.reliability as object), trials: 10 } })) as GoodputReport;
    const plan = ok(train(trainingOf(g), { alternatives: 0 }));
    const rows = await intervalSweep(g, plan, opt, (s) => Promise.resolve(ok(goodput(s))));
    const c = goodputIntervalChart(rows, opt.checkpoint.intervalSeconds / 60);
    const d = series(c.option)[0]!.data as number[][];
    expect(d.length).toBe(rows.length);
    const bestRow = d.reduce((a, b) => (b[1]! > a[1]! ? b : a));
    expect(bestRow[0]! / (opt.checkpoint.intervalSeconds / 60)).toBeGreaterThan(0.4);
    expect(bestRow[0]! / (opt.checkpoint.intervalSeconds / 60)).toBeLessThan(2.5);
    const ic = series(interruptionsChart(opt).option)[0]!.data as number[];
    expect(ic.reduce((a, b) => a + b, 0)).toBeCloseTo(opt.interruptions.expected, 1);
  });
  it('the cluster chart has the switches per tier', () => {
    const r = ok(cluster(ex('cluster-100k-h100.yaml')));
    expect(series(clusterChart(r).option)[0]!.data).toEqual(r.switches.perTier);
  });
});

describe('derivations', () => {
  const sums = (ds: Derivation[]): [string, number, number][] =>
    ds.flatMap((d) => [
      ...(d.rule === 'sum' && typeof d.value === 'number'
        ? [[d.id, d.value, d.terms!.reduce((a, t) => a + (t.value as number), 0)] as [string, number, number]]
        : []),
      ...sums(d.terms ?? []),
    ]);
  it('every sum adds up to its value (training and serving)', () => {
    const all = [...sums(deriveTraining(tr, cal)), ...sums(deriveServing(sv, cal))];
    expect(all.length).toBeGreaterThan(4);
    for (const [id, v, t] of all) expect(t, id).toBeCloseTo(v, Math.max(0, 6 - Math.ceil(Math.log10(Math.abs(v) + 1))));
  });
  it('the constants carry their sources', () => {
    const c = deriveTraining(tr, cal).find((d) => d.id === 'constants')!;
    expect(c.terms!.length).toBeGreaterThan(3);
    expect(c.terms!.every((t) => typeof t.source === 'string' && t.source.length > 10)).toBe(true);
    expect(c.terms!.some((t) => t.label === `efficiency.${tr.profiles.efficiency.generation}`)).toBe(true);
  });
});

describe('SVG and the self-contained HTML report', () => {
  it('ECharts draws each chart to SVG with its data', () => {
    const svg = renderSvg(trainingStepChart(tr));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('pipeline bubble');
  });
  it('the report inlines charts, derivations, data and nothing external', () => {
    const html = reportHtml(trainingReport(ex('llama3.1-405b-h100.yaml'), tr, { cal, generated: '2026-01-01' }), (x) => renderSvg(x));
    expect(html.match(/<svg/g)!.length).toBe(4);
    expect(html).not.toMatch(/<script[^>]+src=|<link |<img |@import|url\(http/);
    const data = JSON.parse(/<script type="application\/json" id="sinan-report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(data.report.step.seconds).toBe(tr.step.seconds);
    expect(html).toContain('<details>');
    expect(html).toContain('data-derivation="mfu"');
  });
  it('text from the scenario cannot break out of the page', () => {
    const sc = { name: '</script><script>alert(1)</script>', kind: 'training' };
    const html = reportHtml(trainingReport(sc, tr, { cal, generated: 'x' }), (x) => renderSvg(x));
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<script/g)!.length).toBe(1);
  });
  it('the serving report has the rate sweep and the Pareto front when given', async () => {
    const rows = await rateSweep(ex('llama3.1-70b-slo.yaml'), sv, (s) => Promise.resolve(ok(serve(s, { alternatives: 0 }))));
    const s = ok(serveCatalog(ex('llama3.1-70b-slo.yaml')));
    const r = servingReport(ex('llama3.1-70b-slo.yaml'), sv, rows, { cal, generated: 'x' }, s);
    expect(r.charts.map((c) => c.id)).toEqual([
      'serving-memory',
      'serving-time',
      'serving-splits',
      'serving-roofline',
      'serving-latency-rate',
      'serving-pareto',
    ]);
  });
});

describe('validation overlay', () => {
  it('reads fit rows from a calibration profile and overlays them; refuses other files', () => {
    const file = {
      kind: 'sinan-calibration',
      version: 1,
      name: 'mine',
      fit: {
        rows: [
          { id: 'r1', group: 'my cluster', metric: 'throughput.tokensPerSecondPerDevice', measured: 400, predictedBefore: 520, predictedAfter: 410 },
          { id: 'r2', group: 'my cluster', metric: 'x', measured: 'lots', predictedBefore: 1, predictedAfter: 1 },
        ],
      },
    };
    const { rows, problems } = fitRowsOf(file);
    expect(rows.map((r) => r.id)).toEqual(['r1']);
    expect(problems[0]).toMatch(/fit.rows\[1\]/);
    expect(fitRowsOf({ kind: 'other' }).problems[0]).toMatch(/sinan-calibration/);
    const c = validationChart([{ id: 'a', group: 'g', measured: 100, predicted: 110 }], 'v', rows);
    const s = series(c.option);
    expect(s.find((x) => x.name === 'your runs, after')!.data).toEqual([{ value: [400, 410], name: 'r1' }]);
    expect(s.find((x) => x.name === 'your runs, before')!.data).toEqual([{ value: [400, 520], name: 'r1' }]);
    const band = s.find((x) => x.name === '±25 %')!.data as number[][];
    expect(band[0]![1]! / band[0]![0]!).toBeCloseTo(1.25);
  });
});
