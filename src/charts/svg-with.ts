import type * as Echarts from 'echarts';
import type { ChartSpec } from './types.js';

/** Draws a chart to an SVG string with the given ECharts module's server-side renderer (no DOM; Node or browser). */
export function renderSvgWith(echarts: typeof Echarts, c: ChartSpec, width = c.width ?? 760, height = c.height ?? 380): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(c.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
