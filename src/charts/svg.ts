import * as echarts from 'echarts';
import type { ChartSpec } from './types.js';

/** Draws a chart to an SVG string with ECharts' server-side renderer (no DOM; works in Node and in the browser). */
export function renderSvg(c: ChartSpec, width = c.width ?? 760, height = c.height ?? 380): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(c.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
