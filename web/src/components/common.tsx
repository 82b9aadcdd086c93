import { useEffect, useState } from 'react';
import type { ConstantRow } from '../../../src/charts/derive.js';
import * as echarts from 'echarts';
import { reportHtml, type ReportInput } from '../../../src/charts/report-html.js';
import { renderSvgWith } from '../../../src/charts/svg-with.js';
import { getOnce } from '../api.js';
import { shareUrl, type Page } from '../state.js';

export function useListings() {
  const [models, setModels] = useState<string[]>([]);
  const [accelerators, setAccelerators] = useState<string[]>([]);
  const [cal, setCal] = useState<ConstantRow[]>([]);
  useEffect(() => {
    void getOnce<{ id: string }[]>('/v1/models').then((m) => setModels(m.map((x) => x.id)));
    void getOnce<{ kind: string; id: string }[]>('/v1/hardware').then((h) => setAccelerators(h.filter((x) => x.kind === 'accelerator').map((x) => x.id)));
    void getOnce<ConstantRow[]>('/v1/calibration').then(setCal);
  }, []);
  return { models, accelerators, cal };
}

/** Writes a file the browser saves (the self-contained HTML report). */
export function download(name: string, text: string, type = 'text/html'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

export function Toolbar({
  page,
  scenario,
  busy,
  onRun,
  report,
}: {
  page: Page;
  scenario: unknown;
  busy: boolean;
  onRun: () => void;
  report?: () => Promise<ReportInput> | null;
}) {
  const [note, setNote] = useState('');
  const share = async () => {
    const url = await shareUrl(page, scenario);
    try {
      await navigator.clipboard.writeText(url);
      setNote('link copied');
    } catch {
      setNote(url);
    }
  };
  const save = async () => {
    const r = await report?.();
    if (!r) return;
    download(
      `sinan-${page}-report.html`,
      reportHtml(r, (c) => renderSvgWith(echarts, c)),
    );
    setNote('report downloaded');
  };
  return (
    <div className="toolbar">
      <button type="button" className="primary" onClick={onRun} disabled={busy} aria-busy={busy}>
        {busy ? 'planning…' : 'Plan'}
      </button>
      <button type="button" onClick={share}>
        Copy share link
      </button>
      {report ? (
        <button type="button" onClick={save} disabled={busy}>
          Download report
        </button>
      ) : null}
      <span role="status" aria-live="polite" className="note">
        {note}
      </span>
    </div>
  );
}
