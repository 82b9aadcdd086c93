/**
 * A chart: an ECharts option object built by a pure function from a report, shared by the web
 * UI (drawn interactively) and the CLI (--svg, --html: drawn to SVG by ECharts' server-side renderer).
 */
export type ChartOption = Record<string, unknown>;

export interface ChartSpec {
  /** File-name-safe id (the CLI writes <id>.svg). */
  id: string;
  title: string;
  /** One sentence on what the chart shows and where its numbers come from. */
  caption: string;
  option: ChartOption;
  width?: number;
  height?: number;
}

export const COLORS = ['#3b6fb6', '#e0823a', '#4e9a5b', '#c44e52', '#8172b3', '#937860', '#da8bc3', '#8c8c8c', '#ccb974', '#64b5cd'];

export function base(title: string, extra: ChartOption = {}): ChartOption {
  return {
    animation: false,
    color: COLORS,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' },
    title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item', confine: true },
    ...extra,
  };
}

export const GB = 1e9;
export const fixed = (x: number, d = 2) => Number(x.toFixed(d));
