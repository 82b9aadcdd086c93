import type { ClusterReport, GoodputReport } from '../fleet/plan.js';
import type { SweepRow } from '../fleet/sweep.js';
import { base, COLORS, fixed, type ChartSpec } from './types.js';

/** Charts of the fleet: goodput against checkpoint interval, interruptions by cause, throughput against scale, the fabric. */

export interface IntervalRow {
  intervalMinutes: number;
  report: GoodputReport | null;
}

export function goodputIntervalChart(rows: IntervalRow[], optimalMinutes?: number): ChartSpec {
  const data = rows.filter((r) => r.report).map((r) => [fixed(r.intervalMinutes, 3), fixed(r.report!.effectiveTrainingTime * 100, 4)]);
  return {
    id: 'goodput-interval',
    title: 'Effective training time against checkpoint interval',
    caption: `Closed-form effective training time (1 - lost / total) with the plan fixed and only the checkpoint interval changed${optimalMinutes ? `; dashed: the Young/Daly optimum of ${fixed(optimalMinutes, 1)} min` : ''}.`,
    option: base('Goodput vs checkpoint interval', {
      grid: { left: 60, right: 30, top: 40, bottom: 50 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'log', name: 'interval (min)', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: 'effective time (%)', scale: true },
      series: [
        {
          name: 'effective training time',
          type: 'line',
          data,
          ...(optimalMinutes
            ? {
                markLine: {
                  symbol: 'none',
                  lineStyle: { color: '#c00', type: 'dashed' },
                  label: { formatter: 'optimum' },
                  data: [{ xAxis: fixed(optimalMinutes, 3) }],
                },
              }
            : {}),
        },
      ],
    }),
  };
}

export function interruptionsChart(r: GoodputReport): ChartSpec {
  const g = [...r.interruptions.byGroup].sort((a, b) => b.expected - a.expected);
  return {
    id: 'goodput-interruptions',
    title: 'Interruptions by cause',
    caption: `${fixed(r.interruptions.expected, 1)} interruptions expected over the run, one every ${fixed(r.interruptions.meanTimeBetweenHours, 2)} h (${r.source}).`,
    option: base('Expected interruptions by cause', {
      grid: { left: 170, right: 40, top: 40, bottom: 30 },
      xAxis: { type: 'value', name: 'expected' },
      yAxis: { type: 'category', inverse: true, data: g.map((x) => x.group) },
      series: [{ name: 'expected', type: 'bar', data: g.map((x) => fixed(x.expected, 3)), label: { show: true, position: 'right' } }],
    }),
    height: Math.max(220, 70 + g.length * 24),
  };
}

export function sweepChart(rows: SweepRow[], what: 'scaleup' | 'weak'): ChartSpec {
  const data = rows.map((r) => [r.x, r.tokensPerSecondPerDevice === null ? null : fixed(r.tokensPerSecondPerDevice, 3)]);
  const missing = rows.filter((r) => r.tokensPerSecondPerDevice === null);
  return {
    id: what === 'scaleup' ? 'sweep-scaleup' : 'sweep-weak',
    title: what === 'scaleup' ? 'Throughput against scale-up domain size' : 'Throughput per device against device count',
    caption: `The best plan at each ${what === 'scaleup' ? 'domain size' : 'cluster size'} (searched again each time)${missing.length ? `; no number at ${missing.map((m) => m.x).join(', ')} (${missing[0]!.reason ?? 'no plan'})` : ''}.`,
    option: base(what === 'scaleup' ? 'Tokens/s per device vs scale-up domain' : 'Tokens/s per device vs devices (weak scaling)', {
      grid: { left: 70, right: 30, top: 40, bottom: 50 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'log', logBase: 2, name: what === 'scaleup' ? 'devices per scale-up domain' : 'devices', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: 'tokens/s per device', scale: true },
      series: [{ name: 'tokens/s per device', type: 'line', symbolSize: 8, data, connectNulls: false }],
    }),
  };
}

export function clusterChart(r: ClusterReport): ChartSpec {
  const p = r.power;
  return {
    id: 'cluster',
    title: 'Fabric and power',
    caption: `${r.tiers} switch tier(s), ${r.switches.total.toLocaleString('en-US')} switches; power in MW by part, facility at PUE ${p.pue}.`,
    option: base('Switches per tier and power (MW)', {
      grid: [
        { left: 60, right: '55%', top: 40, bottom: 40 },
        { left: '58%', right: 20, top: 40, bottom: 40 },
      ],
      xAxis: [
        { type: 'category', gridIndex: 0, data: r.switches.perTier.map((_, i) => `tier ${i + 1}`) },
        { type: 'category', gridIndex: 1, data: ['accelerators', 'hosts', 'network', 'facility'] },
      ],
      yAxis: [
        { type: 'value', gridIndex: 0, name: 'switches' },
        { type: 'value', gridIndex: 1, name: 'MW' },
      ],
      series: [
        { name: 'switches', type: 'bar', xAxisIndex: 0, yAxisIndex: 0, data: r.switches.perTier },
        {
          name: 'power',
          type: 'bar',
          xAxisIndex: 1,
          yAxisIndex: 1,
          itemStyle: { color: COLORS[1] },
          data: [p.acceleratorWatts, p.hostWatts, p.networkWatts, p.facilityWatts].map((w) => fixed(w / 1e6, 3)),
        },
      ],
    }),
  };
}
