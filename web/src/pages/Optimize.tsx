import { useCallback, useEffect, useMemo, useState } from 'react';
import { fmtValue } from '../../../src/charts/format.js';
import type { OptimizationReport } from '../../../src/optimize/types.js';
import { postJson } from '../api.js';
import { Toolbar, useListings } from '../components/common.js';
import { Metric } from '../components/Derivations.js';
import { Editor, type Field, type Obj, systemFields } from '../components/Editor.js';
import { Issues, Warnings } from '../components/Issues.js';
import { writeHash } from '../state.js';

/**
 * The optimization manager (POST /v1/optimize, planned from the config with format-typical
 * errors): the seed's four rows, what each optimization buys, and the per-tensor format map with
 * its accuracy account. A checkpoint is measured and written by `sinan optimize` on the command line.
 */

const pct = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const usd = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `$${x.toFixed(3)}`);

function formatsOf(q: { weights: string; mix?: Record<string, number> }): string {
  if (!q.mix) return q.weights;
  return Object.entries(q.mix)
    .sort((a, b) => b[1] - a[1])
    .map(([f, s]) => `${f} ${(s * 100).toFixed(0)}%`)
    .join(', ');
}

export function OptimizePage({ initial }: { initial: Obj }) {
  const { models, accelerators } = useListings();
  const [scenario, setScenario] = useState<Obj>(initial);
  const [format, setFormat] = useState('');
  const [r, setR] = useState<OptimizationReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields: Field[] = [
    ...systemFields(models, accelerators),
    { path: ['quantization', 'weights'], label: 'baseline weights', type: 'select', options: ['bf16', 'fp16', 'fp8', 'int8', 'int4'], optional: true },
    { path: ['engine'], label: 'engine', type: 'select', options: ['vllm@0.10', 'sglang@0.5', 'llama.cpp'], optional: true },
    { path: ['workload', 'inputTokens'], label: 'prompt tokens', type: 'number' },
    { path: ['workload', 'outputTokens'], label: 'output tokens', type: 'number' },
    { path: ['workload', 'concurrency'], label: 'requests in flight', type: 'number', optional: true, help: 'empty: the largest batch that fits' },
    { path: ['goal', 'objective'], label: 'goal', type: 'select', options: ['throughput', 'cost', 'devices', 'cheaper-hardware'] },
    {
      path: ['goal', 'accuracy'],
      label: 'accuracy budget',
      type: 'number',
      help: 'importance-weighted relative squared error (1/SQNR) of weights and KV cache',
    },
  ];
  const run = useCallback(async (s: Obj, f: string) => {
    setBusy(true);
    setError(null);
    try {
      setR(await postJson<OptimizationReport>(`/v1/optimize${f ? `?format=${encodeURIComponent(f)}` : ''}`, s));
      await writeHash('optimize', s);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void run(initial, '');
  }, [initial, run]);
  const formatMap = useMemo(() => {
    if (!r) return [];
    const m = new Map<string, number>();
    for (const w of r.decisions.weights) m.set(w.format, (m.get(w.format) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]);
  }, [r]);
  const top = useMemo(() => (r ? [...r.accuracy.perTensor].sort((a, b) => b.contribution - a.contribution).slice(0, 12) : []), [r]);
  return (
    <>
      <Editor id="optimize" scenario={scenario} fields={fields} onChange={setScenario} />
      <div className="field inline">
        <label htmlFor="optimize-format">output format</label>
        <select id="optimize-format" value={format} onChange={(e) => setFormat(e.target.value)}>
          <option value="">from the engine</option>
          <option value="gguf">gguf (llama.cpp)</option>
          <option value="compressed-tensors">compressed-tensors (vLLM)</option>
          <option value="bitsandbytes">bitsandbytes</option>
        </select>
      </div>
      <Toolbar page="optimize" scenario={scenario} busy={busy} onRun={() => void run(scenario, format)} />
      <Issues error={error} />
      {r ? (
        <div className="results">
          <h2 className="plan-line">
            Best for {r.goal.objective}: {r.bestRow} ({r.format} for {r.engine})
          </h2>
          <div className="metrics">
            <Metric label="tokens/s" value={r.best.throughput ? fmtValue(r.best.throughput.outputTokensPerSecond, '') : 'does not fit'} />
            <Metric label="$ per 1M output tokens" value={usd(r.best.cost?.usdPerMillionOutputTokens)} />
            <Metric label="accuracy cost" value={`${r.accuracy.total.toExponential(2)} of ${r.accuracy.budget}`} />
            <Metric label="plans priced" value={String(r.search.evaluated)} />
          </div>
          <section className="card" aria-labelledby="rows-title">
            <h2 id="rows-title">The four rows</h2>
            <div className="scroll">
              <table data-table="optimize-rows">
                <thead>
                  <tr>
                    <th>row</th>
                    <th>hardware</th>
                    <th>split</th>
                    <th>weights</th>
                    <th>K/V</th>
                    <th>TTFT</th>
                    <th>TPOT</th>
                    <th>tokens/s</th>
                    <th>memory/device</th>
                    <th>$ / 1M out</th>
                    <th>accuracy</th>
                  </tr>
                </thead>
                <tbody>
                  {r.rows.map((x) => (
                    <tr key={x.label} data-row={x.label} title={x.note}>
                      <td>{x.label}</td>
                      <td>
                        {x.plan.system.devices} × {x.plan.system.target}
                      </td>
                      <td>
                        TP{x.plan.parallelism.tensor} PP{x.plan.parallelism.pipeline}
                        {x.plan.system.replicas > 1 ? ` ×${x.plan.system.replicas}` : ''}
                      </td>
                      <td>{formatsOf(x.plan.quantization)}</td>
                      <td>
                        {x.decisions.kvCache.keys === x.decisions.kvCache.values
                          ? x.decisions.kvCache.keys
                          : `${x.decisions.kvCache.keys} / ${x.decisions.kvCache.values}`}
                      </td>
                      <td>{x.plan.latency ? fmtValue(x.plan.latency.ttftSeconds, 's') : '—'}</td>
                      <td>{x.plan.latency ? fmtValue(x.plan.latency.tpotSeconds, 's') : '—'}</td>
                      <td>{x.plan.throughput ? Math.round(x.plan.throughput.outputTokensPerSecond).toLocaleString('en-US') : 'does not fit'}</td>
                      <td>{(x.plan.memory.perDeviceBytes / 1e9).toFixed(1)} GB</td>
                      <td>{usd(x.plan.cost?.usdPerMillionOutputTokens)}</td>
                      <td>{x.accuracy.toExponential(2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          {r.attribution.map((a) => (
            <section className="card" key={a.row} data-attribution={a.row}>
              <h2>What each optimization buys: {a.row}</h2>
              <div className="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>optimization</th>
                      <th>tokens/s</th>
                      <th>gain</th>
                      <th>$ / 1M out</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.entries.map((e) => (
                      <tr key={e.optimization} data-optimization={e.optimization}>
                        <td>{e.optimization}</td>
                        <td>{e.outputTokensPerSecond === null ? 'does not fit' : Math.round(e.outputTokensPerSecond).toLocaleString('en-US')}</td>
                        <td>{pct(e.gain)}</td>
                        <td>{usd(e.usdPerMillionOutputTokens)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p>
                combined {pct(a.combinedGain)} against the sum of single gains {pct(a.sumOfSingleGains)}: combined{' '}
                {a.combinedBeatsBestSingle ? 'beats' : 'does not beat'} the best single optimization
              </p>
            </section>
          ))}
          <section className="card" aria-labelledby="acc-title">
            <h2 id="acc-title">Formats and accuracy</h2>
            <p>
              {r.accuracy.measure}: {r.accuracy.total.toExponential(3)} of {r.accuracy.budget} (weights {r.accuracy.weights.toExponential(2)}; K{' '}
              {r.accuracy.kvCache.keys.format} / V {r.accuracy.kvCache.values.format} {r.accuracy.kvCache.contribution.toExponential(2)}; {r.accuracy.source})
            </p>
            <p data-format-map>
              {formatMap.map(([f, n]) => (
                <span key={f} className="chip">
                  {f}: {n} tensors{' '}
                </span>
              ))}
            </p>
            <div className="scroll">
              <table data-table="optimize-tensors">
                <thead>
                  <tr>
                    <th>tensor</th>
                    <th>format</th>
                    <th>relative RMSE</th>
                    <th>importance</th>
                    <th>share of total</th>
                  </tr>
                </thead>
                <tbody>
                  {top.map((t) => (
                    <tr key={t.tensor}>
                      <td>{t.tensor}</td>
                      <td>{t.format}</td>
                      <td>{t.relativeError.toFixed(4)}</td>
                      <td>{t.importance.toExponential(2)}</td>
                      <td>{r.accuracy.total > 0 ? `${((100 * t.contribution) / r.accuracy.total).toFixed(1)}%` : '0%'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p>{r.accuracy.importance}</p>
          </section>
          <section className="card" aria-labelledby="cmd-title">
            <h2 id="cmd-title">Serve it</h2>
            <pre data-serve-command>{r.serveCommand}</pre>
          </section>
          <Warnings warnings={r.warnings} />
        </div>
      ) : null}
    </>
  );
}
