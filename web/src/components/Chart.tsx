import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';
import type { ChartSpec } from '../../../src/charts/types.js';

/** One chart, drawn with ECharts' SVG renderer from an option built by src/charts; a click on a point reports its table row. */
export function Chart({ spec, onPoint, highlight }: { spec: ChartSpec; onPoint?: (row: number) => void; highlight?: number | null }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, null, { renderer: 'svg' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.setOption(spec.option, true);
    c.off('click');
    if (onPoint)
      c.on('click', (p) => {
        const row = (p.data as { row?: number } | undefined)?.row;
        if (typeof row === 'number') onPoint(row);
      });
  }, [spec, onPoint]);
  useEffect(() => {
    const c = chart.current;
    if (!c || highlight === null || highlight === undefined) return;
    const series = (spec.option.series as { data?: { row?: number }[] }[]) ?? [];
    series.forEach((s, si) => {
      const di = (s.data ?? []).findIndex((d) => d && typeof d === 'object' && d.row === highlight);
      if (di >= 0) {
        c.dispatchAction({ type: 'downplay' });
        c.dispatchAction({ type: 'highlight', seriesIndex: si, dataIndex: di });
        c.dispatchAction({ type: 'showTip', seriesIndex: si, dataIndex: di });
      }
    });
  }, [highlight, spec]);
  return (
    <figure className="chart" data-chart={spec.id} aria-label={spec.title}>
      <div ref={el} className="chart-canvas" style={{ height: spec.height ?? 360 }} role="img" aria-label={`${spec.title}: ${spec.caption}`} />
      <figcaption>
        <b>{spec.title}.</b> {spec.caption}
      </figcaption>
    </figure>
  );
}
