import { useCallback, useEffect, useMemo, useState } from 'react';
import { deriveTraining } from '../../../src/charts/derive.js';
import { fmtValue } from '../../../src/charts/format.js';
import { trainingReport } from '../../../src/charts/reports.js';
import { planLabel, trainingCandidates, trainingCharts } from '../../../src/charts/training.js';
import type { TrainingResult } from '../../../src/train/plan.js';
import { postJson } from '../api.js';
import { Chart } from '../components/Chart.js';
import { SelectableRow } from '../components/SelectableRow.js';
import { Toolbar, useListings } from '../components/common.js';
import { Derivations, Metric } from '../components/Derivations.js';
import { Editor, type Field, type Obj, systemFields } from '../components/Editor.js';
import { ExportBox } from '../components/Export.js';
import { Issues, Warnings } from '../components/Issues.js';
import { shareUrl, writeHash } from '../state.js';

export function TrainingPage({ initial }: { initial: Obj }) {
  const { models, accelerators, cal } = useListings();
  const [scenario, setScenario] = useState<Obj>(initial);
  const [planned, setPlanned] = useState<Obj>(initial);
  const [result, setResult] = useState<TrainingResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [row, setRow] = useState<number | null>(null);
  const [command, setCommand] = useState('');
  const fields: Field[] = [
    ...systemFields(models, accelerators),
    { path: ['system', 'perNode'], label: 'devices per node', type: 'number', optional: true },
    { path: ['training', 'sequenceLength'], label: 'sequence length', type: 'number' },
    { path: ['training', 'globalBatchSize'], label: 'global batch (sequences)', type: 'number' },
    { path: ['training', 'precision'], label: 'precision', type: 'select', options: ['bf16', 'fp8', 'auto'], optional: true },
    { path: ['training', 'recompute'], label: 'recompute', type: 'select', options: ['none', 'selective', 'full'], optional: true },
    { path: ['parallelism', 'tensor'], label: 'tensor parallel', type: 'number', optional: true },
    { path: ['parallelism', 'pipeline'], label: 'pipeline parallel', type: 'number', optional: true },
    { path: ['training', 'tokens'], label: 'total tokens', type: 'number', optional: true, help: 'for time-to-train and cost' },
  ];
  const run = useCallback(async (s: Obj) => {
    setBusy(true);
    setError(null);
    try {
      const r = await postJson<TrainingResult>('/v1/train?alternatives=24', s);
      setResult(r);
      setPlanned(s);
      setRow(null);
      await writeHash('training', s);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void run(initial);
  }, [initial, run]);
  const charts = useMemo(() => (result ? trainingCharts(result) : []), [result]);
  const cands = useMemo(() => (result ? trainingCandidates(result) : []), [result]);
  return (
    <>
      <Editor id="train" scenario={scenario} fields={fields} onChange={setScenario} />
      <Toolbar
        page="training"
        scenario={scenario}
        busy={busy}
        onRun={() => void run(scenario)}
        report={
          result
            ? async () =>
                trainingReport(planned, result, {
                  cal,
                  generated: new Date().toISOString(),
                  shareUrl: await shareUrl('training', planned),
                  ...(command ? { command: { title: 'Exported command', text: command } } : {}),
                })
            : undefined
        }
      />
      <Issues error={error} />
      {result ? (
        <div className="results" aria-live="polite">
          <h2 className="plan-line">
            {result.searched ? 'Best plan' : 'Plan'}: {planLabel(result)} · {result.fits ? 'fits' : 'does not fit'} · bound by {result.bound}
          </h2>
          <div className="metrics">
            <Metric label="step time" value={fmtValue(result.step.seconds, 's')} how="step" />
            <Metric label="tokens/s per device" value={fmtValue(result.throughput.tokensPerSecondPerDevice, '')} how="throughput" />
            <Metric label="MFU" value={fmtValue(result.flops.mfu, 'fraction')} how="mfu" />
            <Metric label="memory per device" value={fmtValue(result.memory.perDeviceBytes, 'bytes')} how="memory" />
            {result.run ? <Metric label="device-hours" value={fmtValue(result.run.deviceHours, '')} how="run" /> : null}
          </div>
          <Warnings warnings={result.warnings} />
          <div className="charts">
            {charts.map((c) => (
              <Chart
                key={c.id}
                spec={c}
                onPoint={c.id === 'training-candidates' ? setRow : undefined}
                highlight={c.id === 'training-candidates' ? row : null}
              />
            ))}
          </div>
          <section className="card" aria-labelledby="alts-title">
            <h2 id="alts-title">The best plan and why each other loses</h2>
            <div className="scroll">
              <table>
                <thead>
                  <tr>
                    <th>#</th>
                    <th>plan</th>
                    <th>tokens/s/device</th>
                    <th>memory</th>
                    <th>why it loses</th>
                  </tr>
                </thead>
                <tbody>
                  {cands.map((c, i) => (
                    <SelectableRow key={i} index={i} selected={row} onSelect={setRow}>
                      <td>{i}</td>
                      <td>{c.label}</td>
                      <td>{fmtValue(c.tokensPerSecondPerDevice, '')}</td>
                      <td>{c.memoryGB.toFixed(1)} GB</td>
                      <td>{c.why}</td>
                    </SelectableRow>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <Derivations items={deriveTraining(result, cal)} />
          <ExportBox kind="training" scenario={planned} onCommand={setCommand} />
        </div>
      ) : null}
    </>
  );
}
