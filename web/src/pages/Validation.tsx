import { useEffect, useMemo, useState } from 'react';
import { fitRowsOf, validationChart, type FitRow, type ValidationRowLike } from '../../../src/charts/validation.js';
import { getJson } from '../api.js';
import { Chart } from '../components/Chart.js';
import { Issues } from '../components/Issues.js';

type Group = { group: string; n: number; medianApe: number; p90Ape: number; bias: number };

interface Summary {
  kind: string;
  rows: (ValidationRowLike & { ape: number | null })[];
  medianApe: number;
  p90Ape: number;
  groups: Group[];
  /** Every row predicted by a fit that never saw its source group (GET /v1/validation?outOfSample=true). */
  outOfSample?: { predicted: number; medianApe: number; p90Ape: number; groups: Group[]; rows: (ValidationRowLike & { ape: number | null })[] };
}

/** Predicted against measured over the published corpus (GET /v1/validation), with the user's own runs from a calibration profile overlaid. */
export function ValidationPage() {
  const [kind, setKind] = useState<'training' | 'inference'>('training');
  const [s, setS] = useState<Summary | null>(null);
  // the out-of-sample refit takes tens of seconds: the in-sample answer shows first, labelled
  const [oos, setOos] = useState<Summary['outOfSample'] | 'running' | 'failed'>('running');
  const [error, setError] = useState<unknown>(null);
  const [overlay, setOverlay] = useState<FitRow[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  useEffect(() => {
    setS(null);
    setOos('running');
    let live = true;
    getJson<Summary>(`/v1/validation?kind=${kind}`).then(setS, setError);
    getJson<Summary>(`/v1/validation?kind=${kind}&outOfSample=true`).then(
      (x) => live && setOos(x.outOfSample ?? 'failed'),
      () => live && setOos('failed'),
    );
    return () => {
      live = false;
    };
  }, [kind]);
  const out = typeof oos === 'object' ? oos : null;
  const rows = out ? out.rows : s?.rows;
  const chart = useMemo(
    () => (rows ? validationChart(rows, `Predicted vs measured (${kind}, ${out ? 'out of sample' : 'in sample'})`, overlay) : null),
    [rows, overlay, kind, out],
  );
  const outGroup = new Map((out?.groups ?? []).map((g) => [g.group, g]));
  const load = async (f: File | undefined) => {
    if (!f) return;
    try {
      const r = fitRowsOf(JSON.parse(await f.text()));
      setOverlay(r.rows);
      setProblems(r.problems);
    } catch (e) {
      setOverlay([]);
      setProblems([`${f.name}: not JSON (${(e as Error).message})`]);
    }
  };
  return (
    <>
      <div className="card row">
        <label htmlFor="val-kind">corpus</label>
        <select id="val-kind" value={kind} onChange={(e) => setKind(e.target.value as 'training' | 'inference')}>
          <option value="training">training</option>
          <option value="inference">inference</option>
        </select>
        <label htmlFor="val-file">your runs: a calibration profile from sinan calibrate</label>
        <input id="val-file" type="file" accept=".json,application/json" onChange={(e) => void load(e.target.files?.[0])} />
      </div>
      {problems.length ? (
        <div role="alert" className="card error">
          <ul>
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <Issues error={error} />
      {s && chart ? (
        <div className="results">
          <p data-metric="accuracy">
            {out ? (
              <>
                <strong>
                  Out of sample (each row predicted by a fit that never saw its source): median error {out.medianApe.toFixed(1)}%, p90 {out.p90Ape.toFixed(1)}%
                </strong>{' '}
                over {out.predicted} rows ·{' '}
              </>
            ) : oos === 'running' ? (
              <>Refitting out of sample (each source left out in turn; about 20 s)… · </>
            ) : (
              <>The out-of-sample refit failed · </>
            )}
            in sample (the shipped fit, which saw every row): median {s.medianApe.toFixed(1)}%, p90 {s.p90Ape.toFixed(1)}% over{' '}
            {s.rows.filter((r) => r.predicted !== null).length} rows
            {overlay.length ? ` · ${overlay.length} of your runs overlaid` : ''}
          </p>
          <Chart spec={chart} />
          <section className="card" aria-labelledby="groups-title">
            <h2 id="groups-title">Error by source</h2>
            <div className="scroll">
              <table>
                <thead>
                  <tr>
                    <th>source</th>
                    <th>rows</th>
                    <th>out of sample: median</th>
                    <th>p90</th>
                    <th>in sample: median</th>
                    <th>p90</th>
                    <th>median bias (in sample)</th>
                  </tr>
                </thead>
                <tbody>
                  {s.groups.map((g) => (
                    <tr key={g.group}>
                      <td>{g.group}</td>
                      <td>{g.n}</td>
                      <td>{outGroup.has(g.group) ? `${outGroup.get(g.group)!.medianApe.toFixed(1)}%` : '…'}</td>
                      <td>{outGroup.has(g.group) ? `${outGroup.get(g.group)!.p90Ape.toFixed(1)}%` : '…'}</td>
                      <td>{g.medianApe.toFixed(1)}%</td>
                      <td>{g.p90Ape.toFixed(1)}%</td>
                      <td>{(g.bias * 100).toFixed(0)}%</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
      ) : null}
    </>
  );
}
