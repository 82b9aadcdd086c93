import { useEffect, useMemo, useState } from 'react';
import { fitRowsOf, validationChart, type FitRow, type ValidationRowLike } from '../../../src/charts/validation.js';
import { getJson } from '../api.js';
import { Chart } from '../components/Chart.js';
import { Issues } from '../components/Issues.js';

interface Summary {
  kind: string;
  rows: (ValidationRowLike & { ape: number | null })[];
  medianApe: number;
  p90Ape: number;
  groups: { group: string; n: number; medianApe: number; p90Ape: number; bias: number }[];
}

/** Predicted against measured over the published corpus (GET /v1/validation), with the user's own runs from a calibration profile overlaid. */
export function ValidationPage() {
  const [kind, setKind] = useState<'training' | 'inference'>('training');
  const [s, setS] = useState<Summary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [overlay, setOverlay] = useState<FitRow[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  useEffect(() => {
    setS(null);
    getJson<Summary>(`/v1/validation?kind=${kind}`).then(setS, setError);
  }, [kind]);
  const chart = useMemo(() => (s ? validationChart(s.rows, `Predicted vs measured (${kind})`, overlay) : null), [s, overlay, kind]);
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
          <p>
            {s.rows.filter((r) => r.predicted !== null).length} rows predicted: median error {s.medianApe.toFixed(1)}%, p90 {s.p90Ape.toFixed(1)}%
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
                    <th>median error</th>
                    <th>p90 error</th>
                    <th>median bias</th>
                  </tr>
                </thead>
                <tbody>
                  {s.groups.map((g) => (
                    <tr key={g.group}>
                      <td>{g.group}</td>
                      <td>{g.n}</td>
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
