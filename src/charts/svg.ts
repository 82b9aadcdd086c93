import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import { renderSvgWith } from './svg-with.js';
import type { ChartSpec } from './types.js';

/**
 * Draws a chart to SVG in Node: ECharts' single-file CommonJS build is loaded on first use, so
 * commands that draw nothing do not pay for it (the web UI passes its bundled ECharts to renderSvgWith).
 */
export function renderSvg(c: ChartSpec, width?: number, height?: number): string {
  return renderSvgWith(createRequire(import.meta.url)('echarts') as typeof Echarts, c, width, height);
}
