/** Numbers as the UI and the reports show them (units in words; bytes in GB). */
export function fmtValue(v: number | string, unit: string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'bytes') return `${(v / 1e9).toFixed(2)} GB`;
  if (unit === 'fraction') return `${(v * 100).toFixed(1)}%`;
  if (unit === 's') return v >= 1 ? `${v.toFixed(3)} s` : v >= 1e-3 ? `${(v * 1e3).toFixed(2)} ms` : `${(v * 1e6).toFixed(1)} µs`;
  if (unit === 'USD') return `$${v.toFixed(2)}`;
  const a = Math.abs(v);
  const s = a >= 1e15 || (a > 0 && a < 1e-3) ? v.toExponential(3) : a >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(4)).toString();
  return `${s} ${unit}`.trim();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
