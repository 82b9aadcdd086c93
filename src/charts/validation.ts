import { base, COLORS, fixed, type ChartSpec } from './types.js';

/** Predicted against measured, log-log, per source, with the ±10 % / ±25 % bands and the user's own runs overlaid. */

export interface ValidationRowLike {
  id: string;
  group: string;
  measured: number;
  predicted: number | null;
}

/** A row of a calibration profile's fit (sinan calibrate: fit.rows). */
export interface FitRow {
  id: string;
  group: string;
  metric: string;
  measured: number;
  predictedBefore: number;
  predictedAfter: number;
}

/** The fit rows of a calibration profile file, or the problems with it (as text to show). */
export function fitRowsOf(file: unknown): { rows: FitRow[]; problems: string[] } {
  const problems: string[] = [];
  if (typeof file !== 'object' || file === null || (file as { kind?: unknown }).kind !== 'sinan-calibration')
    return { rows: [], problems: ["not a calibration profile written by sinan calibrate (kind must be 'sinan-calibration')"] };
  const rows = (file as { fit?: { rows?: unknown } }).fit?.rows;
  if (!Array.isArray(rows)) return { rows: [], problems: ['the profile has no fit.rows list'] };
  const out: FitRow[] = [];
  rows.forEach((r, i) => {
    const o = r as Record<string, unknown>;
    const num = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) > 0;
    if (typeof o.id !== 'string' || !num('measured') || !num('predictedBefore') || !num('predictedAfter')) {
      problems.push(`fit.rows[${i}]: needs id, measured, predictedBefore and predictedAfter (positive numbers)`);
      return;
    }
    out.push({
      id: o.id,
      group: String(o.group ?? ''),
      metric: String(o.metric ?? ''),
      measured: o.measured as number,
      predictedBefore: o.predictedBefore as number,
      predictedAfter: o.predictedAfter as number,
    });
  });
  return { rows: out, problems };
}

export function validationChart(rows: ValidationRowLike[], title: string, overlay: FitRow[] = []): ChartSpec {
  const ok = rows.filter((r) => r.predicted !== null && r.predicted > 0 && r.measured > 0);
  const groups = [...new Set(ok.map((r) => r.group))];
  const vals = [...ok.flatMap((r) => [r.measured, r.predicted!]), ...overlay.flatMap((r) => [r.measured, r.predictedBefore, r.predictedAfter])];
  const lo = vals.length ? 10 ** Math.floor(Math.log10(Math.min(...vals))) : 1;
  const hi = vals.length ? 10 ** Math.ceil(Math.log10(Math.max(...vals))) : 10;
  const band = (f: number, name: string, dash: string) => ({
    name,
    type: 'line',
    symbol: 'none',
    lineStyle: { color: '#999', type: dash, width: 1 },
    itemStyle: { color: '#999' },
    data: [
      [lo, lo * f],
      [hi, hi * f],
    ],
    tooltip: { show: false },
  });
  return {
    id: 'validation',
    title,
    caption: `${ok.length} published measurements predicted${overlay.length ? ` and ${overlay.length} of your runs (before and after your calibration)` : ''}; on the diagonal the prediction equals the measurement, the bands are ±10 % and ±25 %.`,
    option: base(title, {
      legend: { bottom: 0, type: 'scroll' },
      grid: { left: 70, right: 30, top: 40, bottom: 70 },
      xAxis: { type: 'log', name: 'measured', nameLocation: 'middle', nameGap: 28, min: lo, max: hi },
      yAxis: { type: 'log', name: 'predicted', min: lo, max: hi },
      series: [
        band(1, 'predicted = measured', 'solid'),
        band(1.1, '±10 %', 'dashed'),
        band(0.9, '±10 % ', 'dashed'),
        band(1.25, '±25 %', 'dotted'),
        band(0.75, '±25 % ', 'dotted'),
        ...groups.map((g, i) => ({
          name: g,
          type: 'scatter',
          symbolSize: 7,
          itemStyle: { color: COLORS[i % COLORS.length] },
          data: ok.filter((r) => r.group === g).map((r) => ({ value: [fixed(r.measured, 6), fixed(r.predicted!, 6)], name: r.id })),
        })),
        ...(overlay.length
          ? [
              {
                name: 'your runs, before',
                type: 'scatter',
                symbol: 'triangle',
                symbolSize: 12,
                itemStyle: { color: '#555' },
                data: overlay.map((r) => ({ value: [r.measured, r.predictedBefore], name: r.id })),
              },
              {
                name: 'your runs, after',
                type: 'scatter',
                symbol: 'star',
                symbolSize: 16,
                itemStyle: { color: '#d62728' },
                data: overlay.map((r) => ({ value: [r.measured, r.predictedAfter], name: r.id })),
              },
            ]
          : []),
      ],
    }),
    height: 460,
  };
}
