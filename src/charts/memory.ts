import { base, fixed, GB, type ChartSpec } from './types.js';

/**
 * One device's memory as a stacked bar of named parts (bytes) against its capacity (a dashed
 * line): the memory chart of training and of serving plans.
 */
export function memoryBarChart(o: {
  id: string;
  caption: string;
  device: string;
  parts: readonly (readonly [string, number])[];
  totalBytes: number;
  capacityBytes: number;
}): ChartSpec {
  const cap = o.capacityBytes / GB;
  return {
    id: o.id,
    title: 'Memory per device against capacity',
    caption: o.caption,
    option: base('Memory per device (GB)', {
      legend: { bottom: 0 },
      grid: { left: 20, right: 30, top: 40, bottom: 70, containLabel: true },
      xAxis: { type: 'value', name: 'GB', max: Math.ceil(Math.max(cap, o.totalBytes / GB) * 1.05) },
      yAxis: { type: 'category', data: [o.device] },
      series: o.parts.map(([name, v], i) => ({
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
