import { useCallback, useEffect, useMemo, useState } from 'react';
import { clusterChart, goodputIntervalChart, interruptionsChart, sweepChart, type IntervalRow } from '../../../src/charts/fleet.js';
import { fmtValue } from '../../../src/charts/format.js';
import { intervalSweep, trainingOf } from '../../../src/charts/sweeps.js';
import type { ClusterReport, GoodputReport } from '../../../src/fleet/plan.js';
import type { SweepRow } from '../../../src/fleet/sweep.js';
import type { TrainingResult } from '../../../src/train/plan.js';
import { postJson } from '../api.js';
import { Chart } from '../components/Chart.js';
import { Toolbar, useListings } from '../components/common.js';
import { Metric } from '../components/Derivations.js';
import { Editor, type Field, type Obj, systemFields } from '../components/Editor.js';
import { Issues } from '../components/Issues.js';
import { CLUSTER_EXAMPLE } from '../examples.js';
import { writeHash } from '../state.js';

export function FleetPage({ initial }: { initial: Obj }) {
  const { models, accelerators } = useListings();
  const [scenario, setScenario] = useState<Obj>(initial);
  const [clusterScenario, setClusterScenario] = useState<Obj>(CLUSTER_EXAMPLE);
  const [g, setG] = useState<GoodputReport | null>(null);
  const [intervals, setIntervals] = useState<IntervalRow[]>([]);
  const [scaleup, setScaleup] = useState<SweepRow[] | null>(null);
  const [weak, setWeak] = useState<SweepRow[] | null>(null);
  const [cl, setCl] = useState<ClusterReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields: Field[] = [
    ...systemFields(models, accelerators),
    { path: ['reliability', 'days'], label: 'run length (days)', type: 'number' },
    { path: ['reliability', 'restartMinutes'], label: 'restart (minutes)', type: 'number', optional: true },
    { path: ['reliability', 'checkpoint', 'writeGBps'], label: 'checkpoint write GB/s', type: 'number' },
    { path: ['reliability', 'checkpoint', 'async'], label: 'asynchronous checkpoints', type: 'checkbox' },
  ];
  const clusterFields: Field[] = [
    { path: ['system', 'count'], label: 'accelerators', type: 'number' },
    { path: ['network', 'nicGbps'], label: 'NIC Gb/s', type: 'number' },
    { path: ['network', 'planes'], label: 'planes', type: 'number' },
    { path: ['network', 'switchGbps'], label: 'switch Gb/s', type: 'number' },
  ];
  const run = useCallback(async (s: Obj, c: Obj) => {
    setBusy(true);
    setError(null);
    try {
      const t = trainingOf(s);
      const [gr, plan, clr] = await Promise.all([
        postJson<GoodputReport>('/v1/goodput', s),
        postJson<TrainingResult>('/v1/train?alternatives=0', t),
        postJson<ClusterReport>('/v1/cluster', c),
      ]);
      setG(gr);
      setCl(clr);
      await writeHash('fleet', s);
      const [iv, su, wk] = await Promise.all([
        intervalSweep(s, plan, gr, (x) => postJson<GoodputReport>('/v1/goodput', x).catch(() => null)),
        postJson<{ rows: SweepRow[] }>('/v1/sweep?what=scaleup&domains=4,8,16,32,64,72', t).catch(() => null),
        postJson<{ rows: SweepRow[] }>('/v1/sweep?what=weak&counts=2048,4096,8192,16384,32768', t).catch(() => null),
      ]);
      setIntervals(iv);
      setScaleup(su?.rows ?? null);
      setWeak(wk?.rows ?? null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void run(initial, CLUSTER_EXAMPLE);
  }, [initial, run]);
  const charts = useMemo(
    () => [
      ...(g ? [interruptionsChart(g)] : []),
      ...(g && intervals.length ? [goodputIntervalChart(intervals, g.checkpoint.optimal ? g.checkpoint.intervalSeconds / 60 : undefined)] : []),
      ...(scaleup ? [sweepChart(scaleup, 'scaleup')] : []),
      ...(weak ? [sweepChart(weak, 'weak')] : []),
      ...(cl ? [clusterChart(cl)] : []),
    ],
    [g, intervals, scaleup, weak, cl],
  );
  return (
    <>
      <Editor id="goodput" scenario={scenario} fields={fields} onChange={setScenario} />
      <details className="card">
        <summary>Cluster fabric scenario</summary>
        <Editor id="cluster" scenario={clusterScenario} fields={clusterFields} onChange={setClusterScenario} />
      </details>
      <Toolbar page="fleet" scenario={scenario} busy={busy} onRun={() => void run(scenario, clusterScenario)} />
      <Issues error={error} />
      {g ? (
        <div className="results">
          <div className="metrics">
            <Metric label="effective training time" value={fmtValue(g.effectiveTrainingTime, 'fraction')} />
            <Metric
              label="Monte Carlo mean"
              value={`${fmtValue(g.monteCarlo.mean, 'fraction')} (95% ${fmtValue(g.monteCarlo.ci95[0], 'fraction')}–${fmtValue(g.monteCarlo.ci95[1], 'fraction')})`}
            />
            <Metric label="interruptions" value={g.interruptions.expected.toFixed(1)} />
            <Metric label="checkpoint every" value={fmtValue(g.checkpoint.intervalSeconds, 's')} />
            {cl ? <Metric label="switch tiers" value={String(cl.tiers)} /> : null}
          </div>
          <div className="charts">
            {charts.map((c) => (
              <Chart key={c.id} spec={c} />
            ))}
          </div>
        </div>
      ) : null}
    </>
  );
}
