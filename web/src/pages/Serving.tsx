import { useCallback, useEffect, useMemo, useState } from 'react';
import { deriveServing } from '../../../src/charts/derive.js';
import { fmtValue } from '../../../src/charts/format.js';
import { servingReport } from '../../../src/charts/reports.js';
import { servingCharts, servingParetoChart, splitLabel, type ParetoX, type RateRow } from '../../../src/charts/serving.js';
import { rateSweep } from '../../../src/charts/sweeps.js';
import type { ServePlanResult } from '../../../src/serve/plan.js';
import type { ServeReport } from '../../../src/serve/report.js';
import type { DeploymentSearch } from '../../../src/serve/slo.js';
import { postJson } from '../api.js';
import { Chart } from '../components/Chart.js';
import { SelectableRow } from '../components/SelectableRow.js';
import { Toolbar, useListings } from '../components/common.js';
import { Derivations, Metric } from '../components/Derivations.js';
import { Editor, type Field, type Obj, systemFields } from '../components/Editor.js';
import { ExportBox } from '../components/Export.js';
import { Issues, Warnings } from '../components/Issues.js';
import { shareUrl, writeHash } from '../state.js';

const ms = (s: number | undefined) => (s === undefined ? '—' : fmtValue(s, 's'));

export function ServingPage({ initial }: { initial: Obj }) {
  const { models, accelerators, cal } = useListings();
  const [scenario, setScenario] = useState<Obj>(initial);
  const [planned, setPlanned] = useState<Obj>(initial);
  const [result, setResult] = useState<ServePlanResult | null>(null);
  const [rates, setRates] = useState<RateRow[]>([]);
  const [search, setSearch] = useState<DeploymentSearch | null>(null);
  const [catalog, setCatalog] = useState(true);
  const [x, setX] = useState<ParetoX>('tpot');
  const [row, setRow] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [command, setCommand] = useState('');
  const fields: Field[] = [
    ...systemFields(models, accelerators),
    { path: ['workload', 'inputTokens'], label: 'prompt tokens', type: 'number' },
    { path: ['workload', 'outputTokens'], label: 'output tokens', type: 'number' },
    { path: ['workload', 'requestRate'], label: 'requests/s', type: 'number', optional: true, help: 'or concurrency; neither: saturation' },
    { path: ['workload', 'concurrency'], label: 'requests in flight', type: 'number', optional: true },
    {
      path: ['quantization', 'weights'],
      label: 'weights',
      type: 'select',
      options: ['bf16', 'fp16', 'fp8', 'int8', 'int4', 'nf4', 'nvfp4', 'mxfp4'],
      optional: true,
    },
    { path: ['quantization', 'kvCache'], label: 'KV cache', type: 'select', options: ['bf16', 'fp8', 'int8', 'int4'], optional: true },
    { path: ['slo', 'ttftMs'], label: 'SLO: TTFT (ms)', type: 'number', optional: true },
    { path: ['slo', 'tpotMs'], label: 'SLO: TPOT (ms)', type: 'number', optional: true },
  ];
  const serveOne = (s: Obj) => postJson<ServeReport>('/v1/serve?alternatives=0', s).catch(() => null);
  const run = useCallback(async (s: Obj, withCatalog: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await postJson<ServePlanResult>('/v1/serve?alternatives=12', s);
      setResult(r);
      setPlanned(s);
      setRow(null);
      await writeHash('serving', s);
      const [rs, cs] = await Promise.all([
        r.fits ? rateSweep(s, r, serveOne) : Promise.resolve([]),
        withCatalog ? postJson<DeploymentSearch>('/v1/serve?catalog=true', s).catch(() => null) : Promise.resolve(null),
      ]);
      setRates(rs);
      setSearch(cs);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void run(initial, true);
  }, [initial, run]);
  const charts = useMemo(() => (result ? servingCharts(result, rates) : []), [result, rates]);
  const pareto = useMemo(() => (search ? servingParetoChart(search, planned.slo as { tpotMs?: number } | undefined, x) : null), [search, planned, x]);
  const deployments = search ? (search.ranked.length ? search.ranked : search.closest) : [];
  return (
    <>
      <Editor id="serve" scenario={scenario} fields={fields} onChange={setScenario} />
      <div className="field inline">
        <input id="serve-catalog" type="checkbox" checked={catalog} onChange={(e) => setCatalog(e.target.checked)} />
        <label htmlFor="serve-catalog">also search every accelerator in the catalog for the cheapest deployment under the SLO (Pareto front)</label>
      </div>
      <Toolbar
        page="serving"
        scenario={scenario}
        busy={busy}
        onRun={() => void run(scenario, catalog)}
        report={
          result
            ? async () =>
                servingReport(
                  planned,
                  result,
                  rates,
                  {
                    cal,
                    generated: new Date().toISOString(),
                    shareUrl: await shareUrl('serving', planned),
                    ...(command ? { command: { title: 'Exported command', text: command } } : {}),
                  },
                  search ?? undefined,
                )
            : undefined
        }
      />
      <Issues error={error} />
      {result ? (
        <div className="results">
          <h2 className="plan-line">
            {result.searched ? 'Best split' : 'Split'}: {splitLabel(result)} · {result.system.replicas} replica(s) of {result.system.devicesPerReplica} ·{' '}
            {result.fits ? 'fits' : 'does not fit'} · bound by {result.bound}
            {result.slo ? (result.slo.met ? ' · meets the SLO' : ` · misses the SLO: ${result.slo.missBy.join(', ')}`) : ''}
          </h2>
          <div className="metrics">
            <Metric label="TTFT" value={ms(result.latency?.ttftSeconds)} how="ttft" />
            <Metric label="TPOT" value={ms(result.latency?.tpotSeconds)} how="tpot" />
            <Metric label="output tokens/s" value={result.throughput ? fmtValue(result.throughput.outputTokensPerSecond, '') : '—'} how="throughput" />
            <Metric
              label="$ per M tokens"
              value={result.cost?.usdPerMillionOutputTokens != null ? fmtValue(result.cost.usdPerMillionOutputTokens, 'USD') : '—'}
              how="cost"
            />
            <Metric label="memory per device" value={fmtValue(result.memory.perDeviceBytes, 'bytes')} how="memory" />
          </div>
          <Warnings warnings={result.warnings} />
          <div className="charts">
            {charts.map((c) => (
              <Chart key={c.id} spec={c} />
            ))}
          </div>
          {pareto ? (
            <section className="card" aria-labelledby="pareto-title">
              <h2 id="pareto-title">Cheapest deployments over the catalog</h2>
              <div className="row">
                <label htmlFor="pareto-x">x axis</label>
                <select id="pareto-x" value={x} onChange={(e) => setX(e.target.value as ParetoX)}>
                  <option value="tpot">time per output token</option>
                  <option value="userTokensPerSecond">tokens/s per user</option>
                </select>
              </div>
              <Chart spec={pareto} onPoint={setRow} highlight={row} />
              <div className="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>accelerator</th>
                      <th>devices</th>
                      <th>split</th>
                      <th>formats</th>
                      <th>batch</th>
                      <th>TTFT</th>
                      <th>TPOT</th>
                      <th>$ / M tokens</th>
                      <th>{search?.ranked.length ? 'SLO' : 'misses by'}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {deployments.map((o, i) => (
                      <SelectableRow key={i} index={i} selected={row} onSelect={setRow}>
                        <td>{i}</td>
                        <td>{o.accelerator}</td>
                        <td>
                          {o.replicas} × {o.devicesPerReplica}
                        </td>
                        <td>TP{o.split.tensor}</td>
                        <td>
                          {o.weights}/{o.kvCache}
                        </td>
                        <td>{o.concurrency}</td>
                        <td>{ms(o.ttftSeconds)}</td>
                        <td>{ms(o.tpotSeconds)}</td>
                        <td>{o.usdPerMillionOutputTokens.toFixed(2)}</td>
                        <td>{o.meetsSlo ? 'met' : o.missBy.join(', ')}</td>
                      </SelectableRow>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}
          <section className="card" aria-labelledby="splits-title">
            <h2 id="splits-title">The best split and why each other loses</h2>
            <div className="scroll">
              <table>
                <thead>
                  <tr>
                    <th>split</th>
                    <th>tokens/s/device</th>
                    <th>TPOT</th>
                    <th>TTFT</th>
                    <th>why it loses</th>
                  </tr>
                </thead>
                <tbody>
                  {[result, ...(result.alternatives ?? [])].map((a, i) => (
                    <tr key={i}>
                      <td>{splitLabel(a)}</td>
                      <td>{a.throughput ? fmtValue(a.throughput.outputTokensPerSecondPerDevice, '') : '—'}</td>
                      <td>{ms(a.latency?.tpotSeconds)}</td>
                      <td>{ms(a.latency?.ttftSeconds)}</td>
                      <td>{i === 0 ? 'best' : (a as { why?: string }).why}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <Derivations items={deriveServing(result, cal)} />
          <ExportBox kind="inference" scenario={planned} onCommand={setCommand} />
        </div>
      ) : null}
    </>
  );
}
